"""Exact ancestral sampling with one uniform draw per sequence (inverse-CDF), as a logits processor.

``torch.multinomial`` on CPU draws an exponential variate for every vocabulary entry of every row; in the
backdoor probe that was 28% of generation time (``benchmarks/generation.py``). Inverse-transform sampling
needs one uniform per row: draw ``u`` in ``[0, total)``, take the first token whose cumulative probability
exceeds it. It samples exactly from ``softmax(scores / temperature)``, from its own seeded generator, and
hands ``generate`` a one-hot score row that greedy decoding then picks.
"""

from __future__ import annotations

import torch
from transformers import LogitsProcessor


class InverseCDFSampler(LogitsProcessor):
    """Sample one token per row from ``softmax(scores / temperature)``; return scores that make it the argmax."""

    def __init__(self, temperature: float, generator: torch.Generator) -> None:
        if temperature <= 0:
            raise ValueError("temperature must be positive")
        self.temperature = temperature
        self.generator = generator

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        cumulative = torch.softmax(scores.float() / self.temperature, dim=-1).cumsum(dim=-1)
        draws = torch.rand(scores.shape[0], 1, generator=self.generator) * cumulative[:, -1:]
        chosen = torch.searchsorted(cumulative, draws, right=True).clamp_(max=scores.shape[-1] - 1)
        picked = torch.full_like(scores, float("-inf"))
        return picked.scatter_(1, chosen.to(scores.device), 0.0)
