"""Records: the unit of training data, with provenance.

Every record carries ``source`` (where it came from) and ``poison`` (empty for clean, else the name of
the attack that made it). That pair is the ground truth for every defence, vector and probe.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Literal

RecordKind = Literal["document", "example", "pair", "passage"]
RECORD_KINDS: tuple[str, ...] = ("document", "example", "pair", "passage")


@dataclass(frozen=True)
class Record:
    """One training item.

    * ``document``: ``text`` (pretraining).
    * ``example``: ``prompt`` and ``response`` (instruction tuning, fine-tuning).
    * ``pair``: ``prompt``, ``chosen`` and ``rejected`` (preference learning).
    * ``passage``: ``text`` (retrieval stores and agent memory).
    """

    kind: RecordKind
    source: str
    family: str = ""
    poison: str = ""
    text: str = ""
    prompt: str = ""
    response: str = ""
    chosen: str = ""
    rejected: str = ""

    def __post_init__(self) -> None:
        if self.kind not in RECORD_KINDS:
            raise ValueError(f"record kind {self.kind!r} is not one of {', '.join(RECORD_KINDS)}")

    @property
    def is_poison(self) -> bool:
        return bool(self.poison)

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    def with_poison(self, attack: str, **changes: str) -> Record:
        """A copy marked as made by ``attack``, with the given fields changed."""
        return replace(self, poison=attack, **changes)


RECORD_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Record))


def record_from_dict(row: dict) -> Record:
    """Build a record from a mapping with (a subset of) the record columns; unknown keys are errors."""
    unknown = set(row) - set(RECORD_COLUMNS)
    if unknown:
        raise ValueError(f"unknown record field(s) {sorted(unknown)}; allowed: {', '.join(RECORD_COLUMNS)}")
    return Record(**{k: ("" if v is None else v) for k, v in row.items()})


REQUIRED: dict[str, tuple[str, ...]] = {"document": ("text",), "example": ("prompt", "response"),
                                        "pair": ("prompt", "chosen", "rejected"), "passage": ("text",)}
"""The fields a record of each kind cannot be without (non-empty text)."""


def row_problem(row: object, kind: str | None = None) -> str | None:
    """What is wrong with ``row`` as a record, or ``None``: a JSON object of known string fields; when ``kind`` is
    given (data a user brings), also ``kind`` and ``source``, that kind, and the fields it needs, non-empty."""
    if not isinstance(row, dict):
        return f"a record is a JSON object, not {type(row).__name__}"
    unknown = sorted(set(row) - set(RECORD_COLUMNS))
    if unknown:
        return f"unknown record field(s) {unknown}; allowed: {', '.join(RECORD_COLUMNS)}"
    for name, value in row.items():
        if value is not None and not isinstance(value, str):
            return f"{name} is {type(value).__name__}; allowed: a string"
    if kind is None:
        return None
    for name in ("kind", "source"):
        if not row.get(name):
            return f"no {name}; every record needs kind and source"
    if row["kind"] not in RECORD_KINDS:
        return f"kind {row['kind']!r}; allowed: {', '.join(RECORD_KINDS)}"
    if kind is not None and row["kind"] != kind:
        return f"a {row['kind']} record; allowed: {kind} records only (what this data feeds)"
    missing = [name for name in REQUIRED[row["kind"]] if not (row.get(name) or "").strip()]
    if missing:
        return f"no {' or '.join(missing)}; a {row['kind']} record needs non-empty {', '.join(REQUIRED[row['kind']])}"
    return None


def require_kind(records: list[Record], kind: str, what: str) -> None:
    """Raise a clear error if ``records`` is empty or holds records of another kind."""
    if not records:
        raise ValueError(f"{what}: the dataset is empty; it needs at least one {kind} record")
    wrong = {r.kind for r in records if r.kind != kind}
    if wrong:
        raise ValueError(f"{what}: expects {kind} records, got {', '.join(sorted(wrong))}")


def memory_text(question: str, action: str, observation: str, answer: str) -> str:
    """An agent memory record's text (the agent's own memories and the ``agent-poison`` attack's alike)."""
    return f"Question: {question} Action: {action} Observation: {observation} Answer: {answer}"
