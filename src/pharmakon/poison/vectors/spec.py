"""A vector in a study spec (``VectorSpec``), and delivering records through it (``deliver_with``).

In a spec a vector is its ``name`` and its parameters, flat: ``{name: crowd-annotation, malicious: 0.2, k: 5}``.
Every bad value is caught at construction, as one line naming the field and what is allowed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from pydantic import ValidationError

from pharmakon.config import NamedItem
from pharmakon.data.records import Record
from pharmakon.errors import PharmakonError
from pharmakon.poison.vectors.base import Batch, Delivery, Outcome, Vector, VectorConfig, one_line, streams
from pharmakon.poison.vectors.registry import VECTORS

FIELD = "poison.vector"


class VectorSpec(NamedItem):
    """How the poison reaches the data: a registered vector's ``name`` and its parameters (defaults filled in).

    Nested in another pydantic model, an error reads ``@<field>: message`` (the engine's nested-error form)."""

    registry: ClassVar = VECTORS
    parameter: ClassVar[str] = "field of {name!r}"

    @classmethod
    def config_of(cls, entry: Vector) -> type[VectorConfig]:
        return entry.config_model

    @property
    def vector(self) -> Vector:
        return VECTORS[self.name]

    def config(self) -> VectorConfig:
        """The vector's validated config."""
        return self.vector.config_model(**(self.model_extra or {}))


def parse_vector(spec: dict | VectorSpec, prefix: str = FIELD) -> VectorSpec:
    """``spec`` as a ``VectorSpec``; a bad one is a ``PharmakonError``: ``poison.vector.<field>: message``."""
    if isinstance(spec, VectorSpec):
        return spec
    if not isinstance(spec, dict):
        raise PharmakonError(f"{prefix}: expected a mapping with a name and parameters, got {spec!r}")
    try:
        return VectorSpec(**spec)
    except ValidationError as exc:
        raise PharmakonError(one_line(exc, prefix)) from None


def _simulate(vector: Vector, config: VectorConfig, clean: Sequence[Record], poison: Sequence[Record],
              seed: int | None, honest: Sequence[Record | None] | None) -> Outcome:
    wrong = {r.kind for r in (*clean, *poison)} - set(vector.record_kinds)
    if wrong:
        raise PharmakonError(f"{FIELD}.name: {vector.name!r} delivers {', '.join(vector.record_kinds)} records, "
                             f"not {', '.join(sorted(wrong))}")
    if any(r.is_poison for r in clean) or not all(r.is_poison for r in poison):
        raise PharmakonError(f"{FIELD}: clean records must have an empty poison field and poison records a set one")
    if honest is not None and len(honest) != len(poison):
        raise PharmakonError(f"{FIELD}: {len(honest)} honest versions for {len(poison)} poison records")
    clean_rng, poison_rng = streams(seed, vector.name)
    batch = Batch(list(clean), list(poison), None if honest is None else list(honest), clean_rng, poison_rng)
    outcome = vector.simulate(batch, config)
    assert len(outcome.clean) == len(clean) and len(outcome.poison) == len(poison), vector.name
    return outcome


def _delivery(vector: Vector, records: list[Record], outcome: Outcome) -> Delivery:
    return Delivery(vector=vector.name, records=records, offered=len(outcome.poison),
                    inserted=sum(r.is_poison for r in records), clean_offered=len(outcome.clean),
                    clean_lost=sum(r is None for r in outcome.clean), details=dict(outcome.details))


def deliver_with(spec: dict | VectorSpec, clean: Sequence[Record], poison: Sequence[Record], seed: int | None,
                 honest: Sequence[Record | None] | None = None) -> Delivery:
    """Send ``clean`` and the attacker's ``poison`` through the vector ``spec``; records: clean first, then poison.

    ``honest`` optionally gives each poison record's honest version (crowd and rater vectors; else derived).
    With the same clean records and seed, the clean records' fate does not depend on the poison (except under
    rater filtering, which sees every vote), so the clean twin can be delivered with ``poison=[]``."""
    parsed = parse_vector(spec)
    outcome = _simulate(parsed.vector, parsed.config(), clean, poison, seed, honest)
    records = [r for r in (*outcome.clean, *outcome.poison) if r is not None]
    return _delivery(parsed.vector, records, outcome)


def deliver_mixed(spec: dict | VectorSpec, records: Sequence[Record], seed: int | None,
                  honest: Sequence[Record | None] | None = None) -> Delivery:
    """``deliver_with`` on an attack's output (clean and poison mixed, split by ``poison``), keeping its order:
    each surviving record (or its relabelled version) stays where it was."""
    parsed = parse_vector(spec)
    clean = [r for r in records if not r.is_poison]
    poison = [r for r in records if r.is_poison]
    outcome = _simulate(parsed.vector, parsed.config(), clean, poison, seed, honest)
    fates = {False: iter(outcome.clean), True: iter(outcome.poison)}
    ordered = [fate for r in records if (fate := next(fates[r.is_poison])) is not None]
    return _delivery(parsed.vector, ordered, outcome)
