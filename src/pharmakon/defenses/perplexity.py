"""Perplexity filter: drop records a clean reference language model finds unusually surprising.

Gibberish payloads, rare-token triggers and spliced-in foreign text raise a record's perplexity under a model of
clean text (the CCNet/"perplexity filtering" idea of Wenzek et al. 2020, used against poison by e.g. Wallace et al.
2021). The reference model and tokenizer come from the caller. The cut is an absolute perplexity when
``threshold`` is set, else the ``quantile`` (default 0.95) of the batch: a budgeted filter that drops the most
surprising 5% — it always costs that share of clean data, which the score reports.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from pharmakon.data.records import Record
from pharmakon.defenses.base import KEEP, Decision, Defense, drop, record_text
from pharmakon.defenses.configs import PerplexityConfig


def _encode(tokenizer, texts: list[str], max_tokens: int) -> list[list[int]]:
    """Token ids of each text, starting with bos where the tokenizer has one, cut to ``max_tokens``."""
    ids = tokenizer(list(texts), add_special_tokens=True)["input_ids"] if texts else []
    bos = tokenizer.bos_token_id
    out = []
    for row in ids:
        if bos is not None and (not row or row[0] != bos):
            row = [bos, *row]
        out.append(row[:max_tokens])
    return out


@torch.inference_mode()
def mean_nll(model, tokenizer, texts: list[str], *, batch_size: int = 64, max_tokens: int = 256) -> np.ndarray:
    """Mean negative log-likelihood (nats per token) of each text under ``model``; NaN for a text with no token
    to predict. Batches are length-sorted and right-padded by hand; no gradients."""
    encoded = _encode(tokenizer, texts, max_tokens)
    out = np.full(len(texts), np.nan)
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    for start in range(0, len(order), batch_size):
        indices = [i for i in order[start : start + batch_size] if len(encoded[i]) >= 2]
        if not indices:
            continue
        width = max(len(encoded[i]) for i in indices)
        ids = torch.full((len(indices), width), pad, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for row, index in enumerate(indices):
            ids[row, : len(encoded[index])] = torch.tensor(encoded[index])
            mask[row, : len(encoded[index])] = 1
        logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits[:, :-1].float()
        nll = torch.nn.functional.cross_entropy(logits.transpose(1, 2), ids[:, 1:].to(device), reduction="none").cpu()
        scored = mask[:, 1:].float()
        means = (nll * scored).sum(1) / scored.sum(1)
        out[indices] = means.numpy()
    model.train(was_training)
    return out


class PerplexityFilter(Defense):
    """Drop records whose perplexity under ``reference`` (a ``(model, tokenizer)`` pair) is above the cut."""

    name = "perplexity"

    def __init__(self, config: PerplexityConfig | None = None, *, reference=None, **params) -> None:
        self.config = config or PerplexityConfig(**params)
        if reference is None:
            raise ValueError("perplexity: needs a reference (model, tokenizer) to score records with")
        self.model, self.tokenizer = reference

    def perplexities(self, records: list[Record]) -> np.ndarray:
        """Perplexity of each record's text (its head of ``max_tokens`` tokens)."""
        nll = mean_nll(self.model, self.tokenizer, [record_text(r) for r in records],
                       batch_size=self.config.batch_size, max_tokens=self.config.max_tokens)
        return np.exp(nll)

    def cut(self, perplexities: np.ndarray) -> float:
        """The perplexity above which a record is dropped."""
        if self.config.threshold is not None:
            return self.config.threshold
        finite = perplexities[np.isfinite(perplexities)]
        return float(np.quantile(finite, self.config.quantile)) if finite.size else math.inf

    def decide(self, records: list[Record]) -> list[Decision]:
        ppl = self.perplexities(records)
        cut = self.cut(ppl)
        what = "threshold" if self.config.threshold is not None else f"{self.config.quantile:g} quantile"
        return [drop(f"high-perplexity: {p:.1f} > {cut:.1f} ({what})") if np.isfinite(p) and p > cut else KEEP
                for p in ppl]
