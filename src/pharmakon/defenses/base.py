"""The defence interface and its scoring against the ground-truth poison mask.

A data-side defence is a step in the style of datatrove's filters: it sees a list of records and answers, for
each, keep or drop with a reason. ``apply_defenses`` runs a pipeline of them in order (each step sees the
survivors of the previous one) and scores every step, and the whole, against ``record.is_poison``.

A reason reads ``"<rule>: <detail>"`` (``"near-duplicate: of record 12"``); reports count drops by the rule.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from pharmakon.data.records import Record
from pharmakon.errors import PharmakonError


@dataclass(frozen=True)
class Decision:
    """Keep a record, or drop it with a reason (empty when kept)."""

    keep: bool
    reason: str = ""

    @property
    def rule(self) -> str:
        """The reason's rule: its text before the first ``":"`` (the whole reason if it has none)."""
        return self.reason.split(":", 1)[0].strip()


KEEP = Decision(True)


def drop(reason: str) -> Decision:
    """A drop decision; the reason must say why."""
    if not reason:
        raise ValueError("a dropped record needs a reason")
    return Decision(False, reason)


class Defense(ABC):
    """A data filter: ``decide(records)`` gives one decision per record, in order."""

    name: ClassVar[str] = "defense"

    @abstractmethod
    def decide(self, records: list[Record]) -> list[Decision]:
        """One decision per record."""

    def __call__(self, records: list[Record]) -> list[Decision]:
        decisions = self.decide(records)
        if len(decisions) != len(records):
            raise RuntimeError(f"defence {self.name}: {len(decisions)} decisions for {len(records)} records")
        return decisions


def _ratio(num: int, den: int) -> float:
    return num / den if den else math.nan


@dataclass(frozen=True)
class DefenseScore:
    """Dropped records scored against the poison mask. Undefined ratios (0/0) are NaN."""

    n: int
    n_poison: int
    poison_dropped: int
    clean_lost: int

    @classmethod
    def from_mask(cls, poison: Sequence[bool], dropped: Sequence[bool]) -> DefenseScore:
        if len(poison) != len(dropped):
            raise ValueError("DefenseScore: the poison mask and the drop mask differ in length")
        return cls(n=len(poison), n_poison=sum(map(bool, poison)),
                   poison_dropped=sum(bool(p) and bool(d) for p, d in zip(poison, dropped, strict=True)),
                   clean_lost=sum(not p and bool(d) for p, d in zip(poison, dropped, strict=True)))

    @property
    def dropped(self) -> int:
        return self.poison_dropped + self.clean_lost

    @property
    def kept(self) -> int:
        return self.n - self.dropped

    @property
    def poison_kept(self) -> int:
        return self.n_poison - self.poison_dropped

    @property
    def precision(self) -> float:
        """Share of dropped records that were poison."""
        return _ratio(self.poison_dropped, self.dropped)

    @property
    def recall(self) -> float:
        """Share of poison records that were dropped."""
        return _ratio(self.poison_dropped, self.n_poison)

    @property
    def clean_lost_fraction(self) -> float:
        """Share of clean records that were dropped."""
        return _ratio(self.clean_lost, self.n - self.n_poison)

    def as_dict(self) -> dict[str, float]:
        return {"n": self.n, "n_poison": self.n_poison, "dropped": self.dropped, "poison_dropped": self.poison_dropped,
                "poison_kept": self.poison_kept, "clean_lost": self.clean_lost,
                "clean_lost_fraction": self.clean_lost_fraction, "precision": self.precision, "recall": self.recall}


@dataclass(frozen=True)
class StepReport:
    """One step of a pipeline: its score on the records it saw, and drop counts by rule (all, and poison only)."""

    name: str
    score: DefenseScore
    reasons: dict[str, int]
    poison_reasons: dict[str, int]


@dataclass(frozen=True)
class CleaningReport:
    """A pipeline's report: each step, the overall score on the input, and drop counts by rule over all steps."""

    steps: list[StepReport]
    overall: DefenseScore
    reasons: dict[str, int] = field(default_factory=dict)
    decisions: list[Decision] = field(default_factory=list, repr=False)

    def rows(self) -> list[dict]:
        """Flat rows (one per step, then ``overall``) for a table: step name and every score field."""
        rows = [{"step": s.name, **s.score.as_dict()} for s in self.steps]
        return rows + [{"step": "overall", **self.overall.as_dict()}]


def apply_defenses(records: list[Record], defenses: Sequence[Defense]) -> tuple[list[Record], CleaningReport]:
    """Run ``defenses`` in order over ``records``; the survivors and a report. ``report.decisions`` has one
    decision per input record (the step that dropped it, or kept)."""
    if not defenses:
        raise PharmakonError("defenses: the cleaning pipeline is empty; give at least one defence")
    final = [KEEP] * len(records)
    alive = list(range(len(records)))
    steps: list[StepReport] = []
    for defense in defenses:
        batch = [records[i] for i in alive]
        decisions = defense(batch) if batch else []
        poison = [r.is_poison for r in batch]
        dropped_rules = Counter(d.rule for d in decisions if not d.keep)
        poison_rules = Counter(d.rule for d, p in zip(decisions, poison, strict=True) if not d.keep and p)
        steps.append(StepReport(defense.name, DefenseScore.from_mask(poison, [not d.keep for d in decisions]),
                                dict(dropped_rules), dict(poison_rules)))
        survivors = []
        for index, decision in zip(alive, decisions, strict=True):
            if decision.keep:
                survivors.append(index)
            else:
                final[index] = decision
        alive = survivors
    overall = DefenseScore.from_mask([r.is_poison for r in records], [not d.keep for d in final])
    reasons = Counter(d.rule for d in final if not d.keep)
    return [records[i] for i in alive], CleaningReport(steps, overall, dict(reasons), final)


def record_text(record: Record) -> str:
    """The text a content filter reads: ``text`` for documents and passages, else the non-empty fields joined."""
    if record.kind in ("document", "passage"):
        return record.text
    parts = (record.prompt, record.response) if record.kind == "example" else (record.prompt, record.chosen,
                                                                                record.rejected)
    return "\n".join(p for p in parts if p)
