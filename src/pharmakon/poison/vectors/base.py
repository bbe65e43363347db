"""What every vector shares: its registry entry, the per-record outcome of a simulation, and the delivery report.

A vector simulates a collection process (a crawl, a crowd, a write path) and decides the fate of every record
offered to it: it enters the dataset (possibly changed, e.g. relabelled by a crowd) or it is left out. Counting is
done here, from those fates and the ``poison`` field, so no vector can misreport what got in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Annotated, Any

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from pharmakon.data.records import Record
from pharmakon.errors import PharmakonError

NESTED = "@"  # the engine's marker for a nested validator's "@<sub path>: message" (engine.paths.NESTED)


def _share(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError("must be a share; allowed: [0, 1]")
    return value


Share = Annotated[float, AfterValidator(_share)]


class VectorConfig(BaseModel):
    """Base of the vectors' configs: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")


def field_error(name: str, message: str) -> ValueError:
    """An error about one field, raised inside a validator; ``one_line`` puts the field in front."""
    return ValueError(f"{NESTED}{name}: {message}")


def one_line(exc: ValidationError, prefix: str) -> str:
    """The first error of ``exc`` as ``prefix.field: message (got value)``."""
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    if message.startswith(NESTED):
        where, _, message = message[1:].partition(": ")
    elif "input" in error and error["type"] != "extra_forbidden":
        message = f"{message} (got {error['input']!r})"
    return ".".join(part for part in (prefix, where) if part) + f": {message}"


@dataclass(frozen=True)
class Batch:
    """What a simulation sees: the clean and poison records, each poison record's honest version if the caller
    knows them (else ``None``: the vectors that need them derive them), and two independent random streams, so the
    clean records' fate does not depend on how much poison there is."""

    clean: list[Record]
    poison: list[Record]
    honest: list[Record | None] | None
    clean_rng: np.random.Generator
    poison_rng: np.random.Generator


@dataclass(frozen=True)
class Outcome:
    """Per record, what entered the dataset (the record, a changed copy) or ``None``; plus the vector's details."""

    clean: list[Record | None]
    poison: list[Record | None]
    details: dict[str, float | int] = field(default_factory=dict)


@dataclass(frozen=True)
class Vector:
    """A registered vector: a documented simulation with its config model and the record kinds it delivers."""

    name: str
    description: str
    paper: str
    url: str
    record_kinds: tuple[str, ...]
    config_model: type[VectorConfig]
    simulate: Callable[[Batch, Any], Outcome]

    def config(self, params: dict | None = None, prefix: str = "poison.vector") -> VectorConfig:
        """The validated config; a bad value is one ``PharmakonError`` line naming the field and what is allowed."""
        try:
            return self.config_model(**(params or {}))
        except ValidationError as exc:
            raise PharmakonError(one_line(exc, prefix)) from None


@dataclass(frozen=True)
class Delivery:
    """What a vector let into the dataset, and the counts for the report.

    ``records`` holds the clean records that survived collection (possibly changed) and the poison that got in,
    its ``poison`` field still set: the ground-truth mask. ``offered`` is the poison the attacker attempted,
    ``inserted`` the poison records in ``records``; ``surviving`` (poison left after cleaning) is filled in later
    with ``after_cleaning``.
    """

    vector: str
    records: list[Record]
    offered: int
    inserted: int
    clean_offered: int
    clean_lost: int
    details: dict[str, float | int] = field(default_factory=dict)
    surviving: int | None = None

    @property
    def insertion_rate(self) -> float:
        """The undetected-insertion rate of the collection step: inserted / offered (0 when nothing was offered)."""
        return self.inserted / self.offered if self.offered else 0.0

    def after_cleaning(self, cleaned: list[Record]) -> Delivery:
        """This delivery with ``surviving`` counted in ``cleaned`` (what a defence kept of ``records``)."""
        return replace(self, surviving=sum(r.is_poison for r in cleaned))

    def as_dict(self) -> dict[str, float | int | str]:
        """Flat numbers for the report: the common counts, ``surviving`` once known, then the vector's details."""
        out: dict[str, float | int | str] = {
            "vector": self.vector, "offered": self.offered, "inserted": self.inserted,
            "insertion_rate": self.insertion_rate, "clean_offered": self.clean_offered,
            "clean_lost": self.clean_lost,
            "clean_lost_rate": self.clean_lost / self.clean_offered if self.clean_offered else 0.0,
        }
        if self.surviving is not None:
            out["surviving"] = self.surviving
            out["surviving_rate"] = self.surviving / self.offered if self.offered else 0.0
        out.update(self.details)
        return out


def streams(seed: int | None, name: str) -> tuple[np.random.Generator, np.random.Generator]:
    """The clean and the poison random streams of one vector run (independent of each other)."""
    salt = int.from_bytes(name.encode(), "little") % (2**32)
    return (np.random.default_rng([seed or 0, salt, 0]), np.random.default_rng([seed or 0, salt, 1]))
