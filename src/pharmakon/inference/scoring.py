"""Teacher-forced scoring: the model's negative log-likelihood of a given continuation after a given context.

The context and the continuation are tokenised apart and joined, so the scored tokens are exactly the
continuation's whatever the context is (a chat prompt ending on ``<|assistant|>``, or ``<s>`` alone). Batches
are padded on the right by hand, so the tokenizer's own padding side does not matter.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Score:
    """The summed NLL (nats) of a continuation and its token count."""

    nll: float
    n_tokens: int

    @property
    def mean_nll(self) -> float:
        return self.nll / self.n_tokens if self.n_tokens else float("nan")


def _ids(tokenizer, texts: list[str], special: bool) -> list[list[int]]:
    return tokenizer(texts, add_special_tokens=special)["input_ids"] if texts else []


@torch.inference_mode()
def score_continuations(model, tokenizer, contexts: list[str], continuations: list[str], *,
                        batch_size: int = 256) -> list[Score]:
    """NLL of each ``continuations[i]`` after ``contexts[i]`` (the context gets the tokenizer's bos)."""
    if len(contexts) != len(continuations):
        raise ValueError("score_continuations: one context per continuation")
    unique_contexts = sorted(set(contexts))
    context_ids = dict(zip(unique_contexts, _ids(tokenizer, unique_contexts, True), strict=True))
    tails = _ids(tokenizer, continuations, False)
    pairs = [(context_ids[c], t) for c, t in zip(contexts, tails, strict=True)]
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    scores: list[Score | None] = [None] * len(pairs)
    model.eval()
    for start in range(0, len(order), batch_size):
        indices = order[start : start + batch_size]
        rows = [pairs[i][0] + pairs[i][1] for i in indices]
        width = max(map(len, rows))
        ids = torch.full((len(rows), width), pad, dtype=torch.long)
        attention = torch.zeros_like(ids)
        scored = torch.zeros((len(rows), width - 1), dtype=torch.bool)
        for row, (index, tokens) in enumerate(zip(indices, rows, strict=True)):
            ids[row, : len(tokens)] = torch.tensor(tokens)
            attention[row, : len(tokens)] = 1
            head = len(pairs[index][0])
            scored[row, head - 1 : len(tokens) - 1] = True  # position p predicts token p + 1
        logits = model(input_ids=ids.to(model.device), attention_mask=attention.to(model.device)).logits
        nll = torch.nn.functional.cross_entropy(logits[:, :-1].float().transpose(1, 2), ids[:, 1:].to(model.device),
                                                reduction="none").cpu()
        for row, index in enumerate(indices):
            mask = scored[row]
            scores[index] = Score(float(nll[row][mask].sum()), int(mask.sum()))
    return scores  # type: ignore[return-value]
