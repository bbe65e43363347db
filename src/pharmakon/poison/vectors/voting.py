"""Redundant labelling: who labels which item, and how votes are aggregated (majority, agreement threshold)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from pharmakon.poison.vectors.base import Share, VectorConfig, field_error

ATTACKER, HONEST, NONE = 1, 0, -1


class VotingConfig(VectorConfig):
    """A pool of workers, a share of them malicious, ``k`` of them per item, and the aggregation rule."""

    malicious: Share = Field(default=0.1, description="share of the pool that sides with the attacker")
    k: int = Field(default=3, ge=1, description="workers per item (k-way redundancy)")
    error_rate: Share = Field(default=0.05, description="chance an honest worker gets an item wrong")
    aggregation: Literal["majority", "agreement"] = Field(
        default="majority", description="majority vote, or keep only items whose top label has min_agreement")
    min_agreement: Share = Field(default=0.8, description="share of votes the top label needs (agreement)")

    def pool(self) -> int:
        raise NotImplementedError

    @model_validator(mode="after")
    def _k_fits_pool(self) -> VotingConfig:
        if self.k > self.pool():
            raise field_error("k", f"{self.k} workers per item, but the pool has {self.pool()}; "
                                   f"allowed: 1..{self.pool()}")
        return self

    def n_malicious(self) -> int:
        return round(self.malicious * self.pool())


def assign(n_items: int, pool: int, k: int, rng: np.random.Generator, chunk: int = 4096) -> np.ndarray:
    """Worker ids, shape ``(n_items, k)``: ``k`` distinct workers per item drawn uniformly from the pool."""
    if n_items == 0:
        return np.zeros((0, k), dtype=np.int64)
    parts = [rng.random((min(chunk, n_items - start), pool)).argpartition(k - 1, axis=1)[:, :k]
             for start in range(0, n_items, chunk)]
    return np.concatenate(parts).astype(np.int64)


def decide(attacker: np.ndarray, honest: np.ndarray, total: np.ndarray, coin: np.ndarray,
           config: VotingConfig) -> np.ndarray:
    """Per item ``ATTACKER``, ``HONEST`` or ``NONE`` (no coherent label, or too little agreement).

    The label with more votes wins; a tie goes to a seeded coin. Under ``agreement`` the winner also needs
    ``min_agreement`` of the item's ``total`` votes."""
    winner = np.where(attacker > honest, ATTACKER, np.where(honest > attacker, HONEST,
                                                            np.where(coin, ATTACKER, HONEST)))
    top = np.maximum(attacker, honest)
    winner = np.where(top == 0, NONE, winner)
    if config.aggregation == "agreement":
        share = np.divide(top, total, out=np.zeros(len(top)), where=total > 0)
        winner = np.where(share + 1e-12 >= config.min_agreement, winner, NONE)
    return winner
