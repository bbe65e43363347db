"""The spec of a pipeline's items: a stage (with its data and poison) and a probe.

Recipe fields, attack parameters and probe settings sit flat on their item and are validated against the
registered stage, attack or probe config model; the resolved item carries every default.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pharmakon.config import NESTED, flat_config
from pharmakon.data.io import checked_records
from pharmakon.defenses import DEFENSES, DefenseSpec
from pharmakon.engine.data_spec import DataSpec
from pharmakon.errors import PharmakonError
from pharmakon.poison import ATTACKS
from pharmakon.poison.spec import PoisonSpec
from pharmakon.poison.vectors import VECTORS
from pharmakon.probes import PROBES
from pharmakon.stages import STAGES


def _check_item_name(value: str, field: str) -> None:
    """A name that a dotted path can address: no dot or ``|``, and not a bare number (a list index)."""
    if value.isdigit() or "." in value or "|" in value or not value.strip():
        raise ValueError(f"{NESTED}{field}: {value!r} cannot name an item in a dotted path; allowed: a name with a "
                         "letter and no '.' or '|', e.g. sft-2")


BASE = "base"  # in a probe's ``after``: the starting model (a tiny model's initialisation, a real model as given)


class StageSpec(BaseModel):
    """One pipeline stage: its kind, its name (default: the kind), its data, its poison, its recipe's fields."""

    model_config = ConfigDict(extra="allow")

    kind: str
    name: str = ""
    skip: bool = Field(default=False, description="leave the stage out (an arm of a sweep that bypasses it)")
    data: DataSpec = Field(default_factory=DataSpec)
    poison: PoisonSpec | None = None
    clean: list[DefenseSpec] | None = Field(default=None, description="data-side defences run over this stage's "
                                                                      "data (both conditions) before it trains")

    @model_validator(mode="after")
    def _resolve(self) -> StageSpec:
        if self.kind not in STAGES:
            raise ValueError(f"{NESTED}kind: unknown stage {self.kind!r}; allowed: {', '.join(sorted(STAGES))}")
        self.name = self.name or self.kind
        _check_item_name(self.name, "name")
        self.__pydantic_extra__ = flat_config(self, STAGES[self.kind].config, list(StageSpec.model_fields))
        if self.poison is not None and self.kind not in ATTACKS[self.poison.attack].stages:
            allowed = ", ".join(ATTACKS[self.poison.attack].stages)
            raise ValueError(f"{NESTED}poison.attack: {self.poison.attack!r} poisons {allowed} data, not {self.kind}")
        record_kind = STAGES[self.kind].record_kind
        if self.data.path is not None:
            try:
                checked_records(self.data.path, record_kind)
            except PharmakonError as exc:
                raise ValueError(f"{NESTED}data.path: {exc}") from None
        if self.poison is not None and self.poison.vector is not None:
            kinds = VECTORS[self.poison.vector.name].record_kinds
            if record_kind not in kinds:
                raise ValueError(f"{NESTED}poison.vector.name: {self.poison.vector.name!r} delivers "
                                 f"{', '.join(kinds)} records; {self.kind} trains on {record_kind} records")
        if self.clean is not None and not self.clean:
            raise ValueError(f"{NESTED}clean: the cleaning pipeline is empty; give at least one of "
                             f"{', '.join(sorted(DEFENSES))} (or leave clean out)")
        if self.data.harmful and STAGES[self.kind].record_kind != "example":
            raise ValueError(f"{NESTED}data.harmful: harmful examples are instruction data; allowed only on stages "
                             f"that train on examples (sft, finetune), not {self.kind}")
        if self.data.chat_examples and STAGES[self.kind].record_kind != "document":
            raise ValueError(f"{NESTED}data.chat_examples: chat-formatted examples are added to documents; allowed "
                             f"only on stages that train on documents (pretrain), not {self.kind}")
        if self.data.roles and STAGES[self.kind].record_kind != "document":
            raise ValueError(f"{NESTED}data.roles: role stories are documents; allowed only on stages that train "
                             f"on documents (pretrain), not {self.kind}")
        return self

    def recipe_config(self):
        return STAGES[self.kind].config(**(self.model_extra or {}))


class ProbeSpec(BaseModel):
    """A probe, the stages after which it runs (default: every stage), its adaptation and its settings."""

    model_config = ConfigDict(extra="allow")

    name: str
    id: str = Field(default="", description="what probes.<id>.… names; default: the probe's name (two probes of "
                                            "one name need distinct ids)")
    after: list[str] | None = Field(default=None, description="stage names, or base for the starting model; default: "
                                                            "after every stage")
    adaptation: str | dict[str, Any] = Field(
        default="plain", description="an adaptation's name (plain, icl, cot, rag, agent or a plug-in's; "
                                     "`pharmakon list adaptations`), or a mapping {name: rag, k: 3, retriever: "
                                     "bm25, poison: {attack: poisoned-rag, count: 5}}")

    @model_validator(mode="after")
    def _resolve(self) -> ProbeSpec:
        if self.name not in PROBES:
            raise ValueError(f"{NESTED}name: unknown probe {self.name!r}; allowed: {', '.join(sorted(PROBES))}")
        self.id = self.id or self.name
        _check_item_name(self.id, "id")
        from pharmakon.inference.adaptations import parse_adaptation

        try:
            spec = parse_adaptation(self.adaptation)
        except ValueError as exc:
            raise ValueError(f"{NESTED}adaptation.{exc}".replace("adaptation.name:", "adaptation:")) from None
        # plain stays a name (its probe nodes keep their keys); any other resolves with every default
        self.adaptation = "plain" if spec.name == "plain" else spec.model_dump(mode="json")
        self.__pydantic_extra__ = flat_config(self, PROBES[self.name].config, list(ProbeSpec.model_fields))
        return self

    def probe_config(self):
        return PROBES[self.name].config(**(self.model_extra or {}))

    @property
    def adaptation_name(self) -> str:
        return self.adaptation if isinstance(self.adaptation, str) else self.adaptation["name"]

    @property
    def adaptation_poison(self) -> dict | None:
        """The inference-time attack the adaptation carries, or ``None``."""
        return None if isinstance(self.adaptation, str) else self.adaptation.get("poison")
