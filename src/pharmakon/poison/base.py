"""What every attack shares: its registry entry, its report, and combining poison with clean records."""

from __future__ import annotations

import random
from dataclasses import dataclass

from pharmakon.data.records import Record


@dataclass(frozen=True)
class PoisonReport:
    """How much poison went in: counts, and the poison's share of documents and of tokens."""

    attack: str
    n_clean: int
    n_poison: int
    n_total: int
    record_fraction: float
    token_fraction: float

    def as_dict(self) -> dict[str, float | int | str]:
        return dict(self.__dict__)


def combine(clean: list[Record], poison: list[Record], mode: str, seed: int) -> list[Record]:
    """Insert poison on top of ``clean``, or replace as many clean records (chosen with ``seed``)."""
    if mode == "insert":
        return clean + poison
    replaced = set(random.Random(seed).sample(range(len(clean)), len(poison)))
    return [r for i, r in enumerate(clean) if i not in replaced] + poison


def report(attack: str, clean: list[Record], combined: list[Record], tokenizer) -> PoisonReport:
    """Measure the poison's share of records and of tokens in ``combined``."""
    def n_tokens(records: list[Record]) -> int:
        texts = [r.text or (r.prompt + r.response + r.chosen + r.rejected) for r in records]
        return sum(len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]) if texts else 0

    poison = [r for r in combined if r.is_poison]
    total_tokens = n_tokens(combined)
    return PoisonReport(
        attack=attack,
        n_clean=len(combined) - len(poison),
        n_poison=len(poison),
        n_total=len(combined),
        record_fraction=len(poison) / len(combined) if combined else 0.0,
        token_fraction=n_tokens(poison) / total_tokens if total_tokens else 0.0,
    )
