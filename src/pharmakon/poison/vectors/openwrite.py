"""Open write paths: a retrieval store or an agent's memory that accepts writes from anyone.

PoisonedRAG (Zou et al. 2024) and AgentPoison (Chen et al. 2024) assume the attacker's passages are in the
store; here they have to get there. The attacker spreads its writes evenly over ``windows`` time windows; a rate
limit accepts at most ``cap`` of them per window (``null``: no limit); a moderator (or an automatic filter) then
rejects each remaining write with chance ``moderation``. The store's clean records are already there and stay.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from pharmakon.poison.vectors.base import Batch, Outcome, Share, Vector, VectorConfig


class OpenWriteConfig(VectorConfig):
    """Moderation of writes and an optional rate limit per time window."""

    moderation: Share = Field(default=0.5, description="chance a write that reaches the moderator is rejected")
    cap: int | None = Field(default=None, ge=1, description="most attacker writes accepted per window (null: none)")
    windows: int = Field(default=1, ge=1, description="time windows the attacker spreads its writes over")


def simulate(batch: Batch, config: OpenWriteConfig) -> Outcome:
    n = len(batch.poison)
    window = np.arange(n) * config.windows // max(n, 1)
    rank = np.arange(n) - np.searchsorted(window, window)  # position of each write within its window
    limited = rank >= config.cap if config.cap is not None else np.zeros(n, dtype=bool)
    rejected = batch.poison_rng.random(n) < config.moderation
    accepted = ~limited & ~rejected
    details: dict[str, float | int] = {
        "rate_limited": int(limited.sum()),
        "moderated": int((~limited & rejected).sum()),
        "windows_used": int(len(np.unique(window))),
    }
    poison = [record if ok else None for record, ok in zip(batch.poison, accepted, strict=True)]
    return Outcome(clean=list(batch.clean), poison=poison, details=details)


OPEN_WRITE = Vector(
    name="open-write",
    description="writes into a RAG store or agent memory, each passing a rate limit and a moderator",
    paper="Zou et al. 2024 (PoisonedRAG); Chen et al. 2024 (AgentPoison)",
    url="https://arxiv.org/abs/2402.07867",
    record_kinds=("passage", "document", "example"),
    config_model=OpenWriteConfig,
    simulate=simulate,
)
