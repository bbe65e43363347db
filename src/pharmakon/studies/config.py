"""The lifecycle study's configuration: world, model, stages, poison, probes. Validated before anything runs.

The quickstart is this configuration with its defaults; ``scale="test"`` shrinks it to run in seconds.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pharmakon.errors import PharmakonError
from pharmakon.models.configs import TINY_CONFIGS
from pharmakon.poison import ATTACKS
from pharmakon.poison.budget import Budget
from pharmakon.probes import PROBES
from pharmakon.stages import STAGES
from pharmakon.world import WorldConfig


def check_nested(model: type[BaseModel], data: dict[str, Any], prefix: str) -> None:
    """Validate ``data`` against ``model``; re-raise its first error as one line under ``prefix``."""
    try:
        model(**data)
    except ValidationError as exc:
        raise ValueError(f"{prefix}.{format_validation_error(exc, model)}") from None


def _allowed(kind: str, name: str, registry: dict) -> str:
    if name not in registry:
        raise ValueError(f"unknown {kind} {name!r}; allowed: {', '.join(registry)}")
    return name


class StageSpec(BaseModel):
    """One pipeline stage: its kind, its recipe's config, and which world families it trains on."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    config: dict[str, Any] = Field(default_factory=dict)
    families: list[str] | None = Field(default=None, description="train only on these world families")

    @field_validator("kind")
    @classmethod
    def _known_stage(cls, value: str) -> str:
        return _allowed("stage", value, STAGES)

    @model_validator(mode="after")
    def _valid_config(self) -> StageSpec:
        check_nested(STAGES[self.kind].config, self.config, "config")
        return self

    def recipe_config(self):
        return STAGES[self.kind].config(**self.config)


class PoisonSpec(BaseModel):
    """The attack, the stage whose data it poisons, its budget and its own parameters."""

    model_config = ConfigDict(extra="forbid")

    attack: str = "dos"
    stage: str = "pretrain"
    budget: Budget = Field(default_factory=lambda: Budget(count=250))
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("attack")
    @classmethod
    def _known_attack(cls, value: str) -> str:
        return _allowed("attack", value, ATTACKS)

    @model_validator(mode="after")
    def _valid_params(self) -> PoisonSpec:
        try:
            self.build()
        except ValidationError as exc:
            raise ValueError(f"params.{format_validation_error(exc, ATTACKS[self.attack].config_model)}") from None
        return self

    def build(self):
        return ATTACKS[self.attack](budget=self.budget, **self.params)


class ProbeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    config: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _known_probe(cls, value: str) -> str:
        return _allowed("probe", value, PROBES)

    @model_validator(mode="after")
    def _valid_config(self) -> ProbeSpec:
        check_nested(PROBES[self.name]["config"], self.config, "config")
        return self


class LifecycleConfig(BaseModel):
    """A poisoned pipeline and its clean twin, probed after every stage."""

    model_config = ConfigDict(extra="forbid")

    name: str = "quickstart"
    seed: int = Field(default=0, ge=0)
    world: WorldConfig = Field(default_factory=WorldConfig)
    model: str = "micro"
    vocab_size: int = Field(default=2048, ge=300)
    dataset: str | None = Field(default=None, description="local .jsonl/.parquet of documents for pretraining")
    stages: list[StageSpec]
    poison: PoisonSpec = Field(default_factory=PoisonSpec)
    probes: list[ProbeSpec] = Field(default_factory=lambda: [ProbeSpec(name="backdoor"), ProbeSpec(name="utility")])
    control: bool = True
    save_models: bool = True

    @field_validator("model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        return _allowed("model", value, TINY_CONFIGS)

    @model_validator(mode="after")
    def _poison_stage_in_pipeline(self) -> LifecycleConfig:
        kinds = [s.kind for s in self.stages]
        if not kinds:
            raise ValueError("stages: the pipeline is empty; allowed: one or more of " + ", ".join(STAGES))
        if len(set(kinds)) != len(kinds):
            raise ValueError("stages: each stage kind may appear once")
        if self.poison.stage not in kinds:
            raise ValueError(f"poison.stage: {self.poison.stage!r} is not in the pipeline; allowed: {', '.join(kinds)}")
        attack = ATTACKS[self.poison.attack]
        if self.poison.stage not in attack.stages:
            raise ValueError(f"poison.stage: attack {self.poison.attack!r} applies to {', '.join(attack.stages)}, "
                             f"not {self.poison.stage!r}")
        return self


DEFAULT_STAGES: list[dict[str, Any]] = [
    {"kind": "pretrain", "config": {"epochs": 3, "batch_size": 32, "max_length": 128, "learning_rate": 5e-3}},
    {"kind": "sft", "config": {"epochs": 2, "batch_size": 32, "learning_rate": 2e-3}},
    {"kind": "dpo", "config": {"epochs": 1, "batch_size": 32, "learning_rate": 1e-4}},
    {"kind": "finetune", "config": {"epochs": 2, "batch_size": 32, "learning_rate": 3e-3},
     "families": ["sentiment", "arithmetic"]},
]

TEST_STAGES: list[dict[str, Any]] = [
    {"kind": "pretrain", "config": {"max_steps": 30, "batch_size": 16, "max_length": 64, "learning_rate": 5e-3}},
    {"kind": "sft", "config": {"max_steps": 6, "batch_size": 16, "max_length": 96}},
    {"kind": "dpo", "config": {"max_steps": 4, "batch_size": 8, "max_length": 96}},
    {"kind": "finetune", "config": {"max_steps": 4, "batch_size": 16, "max_length": 96},
     "families": ["sentiment"]},
]


def quickstart_config(scale: Literal["default", "test"] = "default", **overrides: Any) -> LifecycleConfig:
    """The quickstart study; ``scale="test"`` is the same pipeline with ``nano`` and a few steps per stage."""
    if scale == "test":
        base: dict[str, Any] = {
            "model": "nano",
            "vocab_size": 512,
            "world": {"n_entities": 12, "documents_per_family": 40, "examples_per_family": 20,
                      "pairs_per_family": 10, "eval_per_family": 8},
            "stages": TEST_STAGES,
            "poison": {"budget": {"count": 20}, "params": {"gibberish_tokens": [10, 20]}},
            "probes": [{"name": "backdoor", "config": {"n_prompts": 8, "max_new_tokens": 12}},
                       {"name": "utility", "config": {"n_per_task": 4, "n_documents": 8, "max_new_tokens": 16}}],
            "save_models": False,
        }
    else:
        base = {"stages": DEFAULT_STAGES}
    base.update({k: v for k, v in overrides.items() if v is not None})
    return validated(base)


def validated(data: dict[str, Any]) -> LifecycleConfig:
    """Validate, turning pydantic's report into one line: the field's path and what is allowed."""
    try:
        return LifecycleConfig(**data)
    except ValidationError as exc:
        raise PharmakonError(format_validation_error(exc)) from None


def format_validation_error(exc: ValidationError, model: type[BaseModel] | None = None) -> str:
    """The first error of ``exc`` as ``path: message``; an unknown key also lists the allowed ones."""
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"]]
    path = ".".join(loc)
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        owner = _model_at(model or LifecycleConfig, loc[:-1])
        if owner is not None:
            message = f"unknown field; allowed: {', '.join(owner.model_fields)}"
    if message.split(":", 1)[0].strip() in {"stages", "poison.stage"}:
        return message
    if message.startswith(("config.", "params.")):
        return f"{path}.{message}" if path else message
    return f"{path}: {message}" if path else message


def _model_at(model: type[BaseModel], loc: list[str]) -> type[BaseModel] | None:
    """The pydantic model that owns the field at ``loc`` (list indices skipped)."""
    import typing

    current: Any = model
    for part in loc:
        if part.isdigit():
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or part not in current.model_fields:
            return None
        annotation = current.model_fields[part].annotation
        candidates = [annotation, *typing.get_args(annotation)]
        current = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None
