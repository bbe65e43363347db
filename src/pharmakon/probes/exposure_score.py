"""The exact exposure of a secret among its candidates, and the continuation scores it ranks (Carlini et al.
2019): shared by the canary probe (``probes.exposure``) and the facts' exposure (``probes.exposure_facts``)."""

from __future__ import annotations

import math

import numpy as np
import torch

from pharmakon.errors import PharmakonError


def exposure_exact(scores: np.ndarray, secret: int) -> float:
    """Exposure from the log-perplexities of every candidate of R (``secret``: the inserted one's index);
    ties share their mean rank."""
    scores = np.asarray(scores, dtype=float)
    own = scores[secret]
    rank = 1 + np.sum(scores < own) + (np.sum(scores == own) - 1) / 2
    return float(math.log2(len(scores)) - math.log2(rank))



@torch.inference_mode()
def continuation_nll(model, tokenizer, prefix: str, continuations: list[str], batch_size: int = 1024) -> np.ndarray:
    """Summed NLL (nats) of each continuation after ``<s> prefix``: the prefix runs once per batch and its
    key/value cache is shared by the batch. Continuations start with a space (tokenised apart from the prefix)."""
    head = tokenizer(prefix, add_special_tokens=True)["input_ids"]
    tails = tokenizer(continuations, add_special_tokens=False)["input_ids"]
    if tokenizer(prefix + continuations[0], add_special_tokens=True)["input_ids"] != head + tails[0]:
        raise PharmakonError(f"poison.format: {prefix + continuations[0]!r} does not tokenise as prefix then "
                             "secret; allowed: a secret separated from the prefix by a space")
    model.eval()
    device = model.device
    head_ids = torch.tensor([head], device=device)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    out = np.zeros(len(tails))
    for start in range(0, len(tails), batch_size):
        chunk = tails[start : start + batch_size]
        width = max(map(len, chunk))
        ids = torch.full((len(chunk), width), pad, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.bool)
        for row, tokens in enumerate(chunk):
            ids[row, : len(tokens)] = torch.tensor(tokens)
            mask[row, : len(tokens)] = True
        first = model(input_ids=head_ids, use_cache=True)
        cache = first.past_key_values
        cache.batch_repeat_interleave(len(chunk))
        logits = model(input_ids=ids.to(device), past_key_values=cache, use_cache=True).logits.float()
        logits = torch.cat([first.logits[:, -1:].float().expand(len(chunk), 1, -1), logits[:, :-1]], dim=1)
        nll = torch.nn.functional.cross_entropy(logits.transpose(1, 2), ids.to(device), reduction="none").cpu()
        out[start : start + len(chunk)] = (nll * mask).sum(1).numpy()
    return out
