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


def combine(clean: list[Record], poison: list[Record], mode: str, seed: int,
            placement: str = "uniform") -> list[Record]:
    """Insert poison into ``clean``, or replace as many clean records (chosen with ``seed``).

    ``uniform`` spreads the poison at evenly spaced positions of the data order; ``clustered`` puts it in one
    contiguous block at a seeded position; ``end`` after the clean records. The clean records keep their order.
    """
    rng = random.Random(seed)
    if mode == "replace":
        replaced = set(rng.sample(range(len(clean)), len(poison)))
        clean = [r for i, r in enumerate(clean) if i not in replaced]
    if not poison or placement == "end":
        return list(clean) + list(poison)
    if placement == "clustered":
        at = rng.randint(0, len(clean))
        return clean[:at] + poison + clean[at:]
    total = len(clean) + len(poison)
    slots = {round((i + 0.5) * total / len(poison) - 0.5) for i in range(len(poison))}
    poison_iter, clean_iter = iter(poison), iter(clean)
    return [next(poison_iter) if i in slots else next(clean_iter) for i in range(total)]


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
