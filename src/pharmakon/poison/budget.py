"""Poison budgets: an absolute count of records or a fraction of the final dataset; insert or replace."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pharmakon.errors import PharmakonError


class Budget(BaseModel):
    """How much poison. Exactly one of ``count`` and ``rate``.

    ``insert`` (the default) adds poison on top of the clean records, so the clean twin trains on exactly
    the clean records and ``rate`` is the poison's share of the final dataset. ``replace`` swaps clean
    records for poison. ``placement`` sets where the poison sits in the data order (it matters to a stage
    that keeps the order, e.g. ``pretrain`` with ``shuffle: false``).
    """

    model_config = ConfigDict(extra="forbid")

    count: int | None = Field(default=None, ge=0)
    rate: float | None = Field(default=None, ge=0, le=1)
    mode: Literal["insert", "replace"] = "insert"
    placement: Literal["uniform", "clustered", "end"] = Field(
        default="uniform", description="poison spread evenly through the data order, in one block, or after the "
                                       "clean records")

    @model_validator(mode="after")
    def _one_of_count_or_rate(self) -> Budget:
        if (self.count is None) == (self.rate is None):
            raise ValueError("give exactly one of count and rate")
        return self

    def resolve(self, n_clean: int, field: str = "poison") -> int:
        """The number of poison records for a clean corpus of ``n_clean`` records."""
        if n_clean <= 0:
            raise PharmakonError(f"{field}: the clean dataset is empty; nothing to poison")
        if self.count is not None:
            if self.mode == "replace" and self.count > n_clean:
                raise PharmakonError(
                    f"{field}.count: {self.count} is larger than the corpus ({n_clean} records) in replace mode; "
                    f"allowed: 0..{n_clean}"
                )
            return self.count
        assert self.rate is not None
        if self.mode == "replace":
            return round(self.rate * n_clean)
        if self.rate >= 1:
            raise PharmakonError(f"{field}.rate: {self.rate} in insert mode would need endless poison; allowed: [0, 1)")
        return round(self.rate * n_clean / (1 - self.rate))
