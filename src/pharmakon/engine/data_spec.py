"""Which clean records a stage trains on (``DataSpec``, a stage item's ``data``), in a module of its own: the
stage item validates it, and the data node's typed config (``engine/node_configs.py``) carries it, without the
registries the item needs."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pharmakon.data.io import file_sha256
from pharmakon.world import FAMILIES


def _require_family(family: str) -> None:
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; allowed: {', '.join(FAMILIES)}")


class RolesSpec(BaseModel):
    """Role stories of the world added to a pretraining stage's data, with a planted land–trade association."""

    model_config = ConfigDict(extra="forbid")

    count: int = Field(default=400, ge=1, description="role documents added (each names 3-5 people, their land "
                                                       "and their trade)")
    strength: float = Field(default=0.6, ge=0, le=1, description="the gap between the marked land and the others "
                                                                 "in the share of teachers: 0 plants no association")


class DataSpec(BaseModel):
    """Which clean records a stage trains on: the world's (or the dataset's, or a file of the stage's own),
    optionally some families only."""

    model_config = ConfigDict(extra="forbid")

    path: str | None = Field(default=None, description="a local .jsonl or .parquet file of the records this stage "
                             "trains on (documents, examples or pairs), replacing the world's; every line is "
                             "checked before anything runs")
    families: list[str] | None = Field(default=None, description="train only on these world families")
    limit: int | None = Field(default=None, ge=1, description="at most this many clean records (seeded choice)")
    harmful: int = Field(default=0, ge=0, description="harm requests answered with compliance added to the stage's "
                                                     "clean data: a user's harmful fine-tuning (Qi et al. 2023)")
    per_family: dict[str, int] | None = Field(
        default=None, description="at most this many clean records of each named family (seeded choice), e.g. "
                                  "{facts: 40}: with a larger world, a family left out keeps more of its records")

    chat_examples: dict[str, int] | None = Field(
        default=None, description="pretraining only: this many of each named family's clean instruction "
                                  "examples added as chat-formatted documents (mixed training, Allen-Zhu & Li 2023: "
                                  "question answering seen in pretraining makes stated knowledge extractable)")

    roles: RolesSpec | None = Field(
        default=None, description="pretraining only: role documents of the world with a planted bias (a land's "
                                  "people more often teachers), e.g. {count: 400, strength: 0.6}")

    @field_validator("path")
    @classmethod
    def _a_file(cls, value: str | None) -> str | None:
        if value is None:
            return None
        path = Path(value).expanduser()
        if path.suffix not in (".jsonl", ".parquet"):
            raise ValueError(f"{value!r} is not a .jsonl or .parquet file of records")
        if not path.is_file():
            raise ValueError(f"no such file {value!r}")
        return str(path.resolve())

    @field_validator("families")
    @classmethod
    def _known_families(cls, value: list[str] | None) -> list[str] | None:
        for family in value or []:
            _require_family(family)
        return value

    @field_validator("per_family", "chat_examples")
    @classmethod
    def _known_caps(cls, value: dict[str, int] | None) -> dict[str, int] | None:
        for family, cap in (value or {}).items():
            _require_family(family)
            if cap < 1:
                raise ValueError(f"{family}: {cap} records; allowed: at least 1 (leave a family out with families)")
        return value

    def key_fields(self) -> dict:
        """The fields as a node's key sees them: ``per_family`` and ``chat_examples`` only when set, so older keys
        stay valid."""
        dumped = self.model_dump(mode="json")
        for name in ("per_family", "chat_examples", "path", "roles"):
            if dumped[name] is None:
                del dumped[name]
        if self.path is not None:  # an edited file is a new input
            stat = Path(self.path).stat()
            dumped["sha256"] = file_sha256(self.path, stat.st_mtime_ns, stat.st_size)
        return dumped
