"""A stage's poison item: the attack's name, its budget and its parameters, flat on the item.

Validated against the registered attack's config model; ``build`` makes the attack object.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pharmakon.config import NESTED, flat_config
from pharmakon.poison import ATTACKS
from pharmakon.poison.budget import Budget
from pharmakon.poison.vectors import VectorSpec


class PoisonSpec(BaseModel):
    """The attack on a stage's data: its name, its budget (count or rate; insert or replace), its parameters."""

    model_config = ConfigDict(extra="allow")

    attack: str = "dos"
    count: int | None = Field(default=None, ge=0, description="poison records (absolute)")
    rate: float | None = Field(default=None, ge=0, le=1, description="poison share of the final dataset")
    mode: Literal["insert", "replace"] = "insert"
    placement: Literal["uniform", "clustered", "end"] = Field(
        default="uniform", description="where the poison sits in the data order: spread evenly, in one block, or "
                                       "after the clean records")
    vector: VectorSpec | None = Field(default=None, description="how the poison reaches the data (a crawl, a crowd, "
                                                                "a write path): only what gets through is inserted")

    @model_validator(mode="after")
    def _resolve(self) -> PoisonSpec:
        if self.attack not in ATTACKS:
            raise ValueError(f"{NESTED}attack: unknown attack {self.attack!r}; allowed: {', '.join(sorted(ATTACKS))}")
        if (self.count is None) == (self.rate is None):
            raise ValueError(f"{NESTED}count: give exactly one of count and rate")
        own = list(PoisonSpec.model_fields)
        self.__pydantic_extra__ = flat_config(self, ATTACKS[self.attack].config_model, own, skip=("budget",))
        return self

    def budget(self) -> Budget:
        return Budget(count=self.count, rate=self.rate, mode=self.mode, placement=self.placement)

    def build(self):
        """The attack object, ready to ``apply``."""
        return ATTACKS[self.attack](budget=self.budget(), **(self.model_extra or {}))


BUDGET_FIELDS = ("count", "rate", "mode", "placement", "vector")


def unbudgeted(poison: dict) -> dict:
    """``poison`` as a probe that reads no budget sees it: its attack and parameters, with the budget fields (how
    many records, where, by which vector) replaced by a placeholder ``count: 0``. Such a probe's node key is then
    one for every budget of the same attack, so a clean twin probed in arms that differ only in budget is probed
    once."""
    kept = {key: value for key, value in poison.items() if key not in BUDGET_FIELDS}
    return {**kept, "count": 0}

