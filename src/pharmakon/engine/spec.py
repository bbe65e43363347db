"""A study as data: pydantic models for the spec, validated before anything runs.

The pipeline's items (``engine/items.py``) carry their recipe fields, attack parameters and probe settings flat
(``pipeline.dpo.beta``, ``pipeline.pretrain.poison.count``, ``probes.backdoor.n_prompts``); the study adds the
world, model, seeds, sweep and executor, and the checks that span items. The resolved spec carries every default.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_serializer, model_validator

from pharmakon.defenses import DEFENSES
from pharmakon.engine import checks
from pharmakon.engine.items import BASE, ProbeSpec, StageSpec
from pharmakon.engine.model_spec import ModelSpec
from pharmakon.engine.paths import NESTED, get_path
from pharmakon.engine.search_spec import SearchSpec, check_search
from pharmakon.errors import PharmakonError
from pharmakon.poison import ATTACKS
from pharmakon.poison.vectors import VECTORS
from pharmakon.probes import PROBES
from pharmakon.registry import load_plugins
from pharmakon.stages import STAGES
from pharmakon.world import WorldConfig

UNSWEEPABLE = ("name", "description", "question", "anchor", "finding", "seeds", "sweep", "executor", "foundation",
               "search")
LINK = "|"  # an axis "a|b" sets the same value at paths a and b (e.g. one poison rate on two branches)


class DatasetSpec(BaseModel):
    """Local documents (.jsonl or .parquet records) that replace the world's pretraining documents; every record is
    checked before anything runs (a document with non-empty text, string fields)."""

    model_config = ConfigDict(extra="forbid")

    path: str

    @field_validator("path")
    @classmethod
    def _readable(cls, value: str) -> str:
        path = Path(value).expanduser()
        if path.suffix not in (".jsonl", ".parquet"):
            raise ValueError(f"{value!r} is not a .jsonl or .parquet file of records")
        if not path.is_file():
            raise ValueError(f"no such file {value!r}")
        try:
            dataset_texts(str(path.resolve()))
        except PharmakonError as exc:
            raise ValueError(str(exc)) from None
        return str(path.resolve())

    def texts(self) -> tuple[str, ...]:
        return dataset_texts(self.path)


def dataset_texts(path: str) -> tuple[str, ...]:
    """The documents' text of a dataset file, read and checked once per version of the file."""
    stat = Path(path).stat()
    return _dataset_texts(path, stat.st_mtime_ns, stat.st_size)


@cache
def _dataset_texts(path: str, mtime: int, size: int) -> tuple[str, ...]:
    from pharmakon.data.io import load_records

    return tuple(record.text for record in load_records(Path(path), kind="document"))


@cache
def _world(config_json: str):
    from pharmakon.world import World

    return World(WorldConfig.model_validate_json(config_json))


def world_of(config: WorldConfig):
    """The world of ``config``, built once per config (validation runs for every grid point)."""
    return _world(config.model_dump_json())


class SweepSpec(BaseModel):
    """Axes as dotted spec paths → values; the grid is their product, or ``zip`` for paired values.

    ``arms`` are named variants of the study, each a set of ``path: value`` changes applied together (poison at
    another stage, another attack with its label, a stage skipped); the grid is every arm × the axes' grid, and
    the results table gets an ``arm`` column.
    """

    model_config = ConfigDict(extra="forbid")

    mode: Literal["product", "zip"] = "product"
    axes: dict[str, list[Any]] = Field(default_factory=dict)
    arms: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        """The results table's swept columns: one per axis, then ``arm``."""
        return [*self.axes, *(["arm"] if self.arms else [])]

    @model_validator(mode="after")
    def _check(self) -> SweepSpec:
        for key, values in self.axes.items():
            if not values:
                raise ValueError(f"{NESTED}axes.{key}: empty list; give one or more values")
            for path in key.split(LINK):
                if path.split(".")[0] in UNSWEEPABLE:
                    raise ValueError(f"{NESTED}axes.{key}: cannot sweep {path.split('.')[0]!r}"
                                     + ("; list the seeds under seeds:" if path == "seeds" else ""))
        for arm, changes in self.arms.items():
            if not changes:
                raise ValueError(f"{NESTED}arms.{arm}: no changes; give path: value pairs")
            for path in changes:
                if path.split(".")[0] in UNSWEEPABLE:
                    raise ValueError(f"{NESTED}arms.{arm}.{path}: cannot set {path.split('.')[0]!r} in an arm")
        if self.mode == "zip" and len({len(v) for v in self.axes.values()}) > 1:
            raise ValueError(f"{NESTED}axes: zip needs lists of one length; got "
                             + ", ".join(f"{p}: {len(v)}" for p, v in self.axes.items()))
        return self


class ExecutorSpec(BaseModel):
    """Where nodes run. ``cpus`` is each node's torch thread count and its Ray CPU request."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["local", "ray"] = "local"
    address: str | None = Field(default=None, description="Ray cluster to join; default: start a local one")
    cpus: int = Field(default=2, ge=1)
    gpus: float = Field(default=0, ge=0)


class Study(BaseModel):
    """A study: world or dataset, model, pipeline with its poison, probes, sweep, seeds, executor."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    question: str = Field(default="", description="the study's question in one line (pharmakon list studies)")
    anchor: str = Field(default="", description="the published finding the study is modelled on, in words")
    finding: str | None = Field(default=None, description="the study summary that states our finding in words "
                                                           "(a name of pharmakon.studies.FINDINGS)")
    seeds: list[int] = Field(min_length=1)
    foundation: str | None = Field(default=None, description="a built-in foundation (world, model and pretraining "
                                   "recipe, filled in where the spec does not set them): studies that share it "
                                   "pretrain once per seed in a shared cache")
    world: WorldConfig = Field(default_factory=WorldConfig)
    dataset: DatasetSpec | None = None
    model: ModelSpec = Field(default_factory=ModelSpec)
    pipeline: list[StageSpec] = Field(default_factory=list, description="the stages in order; none: the probes "
                                      "read the starting model (after: [base])")
    control: bool = Field(default=True, description="also run every poisoned pipeline as its clean twin")
    probes: list[ProbeSpec] = Field(default_factory=list)
    sweep: SweepSpec = Field(default_factory=SweepSpec)
    executor: ExecutorSpec = Field(default_factory=ExecutorSpec)
    search: SearchSpec | None = Field(default=None, description="a design search over the arms: select on its "
                                      "seeds, report the selected design and the baseline on the study's seeds")

    @model_serializer(mode="wrap")
    def _without_unset_search(self, handler):
        """A study without a search dumps as it did before searches existed (its spec.yaml resumes as before)."""
        dumped = handler(self)
        if dumped.get("search", 0) is None:
            del dumped["search"]
        return dumped

    @field_validator("seeds", mode="before")
    @classmethod
    def _some_seeds(cls, value: Any) -> Any:
        if isinstance(value, list) and not value:
            raise ValueError("no seeds; give at least one, e.g. seeds: [0] (claims need three or more)")
        return value

    @field_validator("foundation")
    @classmethod
    def _known_foundation(cls, value: str | None) -> str | None:
        from pharmakon.studies.foundations import foundations

        if value is not None and value not in foundations():
            raise ValueError(f"unknown foundation {value!r}; allowed: {', '.join(sorted(foundations()))}")
        return value

    @field_validator("seeds")
    @classmethod
    def _non_negative(cls, value: list[int]) -> list[int]:
        if any(seed < 0 for seed in value) or len(set(value)) != len(value):
            raise ValueError("seeds must be distinct integers >= 0")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Study:
        names = [stage.name for stage in self.pipeline]
        if len(set(names)) != len(names):
            raise ValueError("pipeline: stage names must be unique; give repeated kinds a name")
        ids = [probe.id for probe in self.probes]
        repeated = next((i for i in ids if ids.count(i) > 1), None)
        if repeated is not None:
            raise ValueError(f"probes: {ids.count(repeated)} probes are named {repeated!r}, so probes.{repeated}.… "
                             f"would name only the first; allowed: distinct names, e.g. id: {repeated}-2")
        checks.check_world(self.world)
        checks.check_executor(self.executor)
        if BASE in names:
            raise ValueError(f"pipeline: {BASE!r} names the starting model in a probe's after; give the stage "
                             "another name")
        for probe in self.probes:
            if PROBES[probe.name].needs_trigger and self.poisoned_stage is None:
                raise ValueError(f"probes.{probe.id}: needs a trigger to probe, and no stage carries poison; "
                                 "add poison to a stage or remove this probe")
            if PROBES[probe.name].needs_data and (not self.has_stages or BASE in (probe.after or [])):
                raise ValueError(f"probes.{probe.id}.after: reads the records a stage trained on, so it runs after "
                                 f"stages only; allowed: {', '.join(names) or 'none (the pipeline has no stage)'}")
            kind = PROBES[probe.name].model_kind
            fitting = [s.name for s in self.pipeline if STAGES[s.kind].output == kind]
            for stage in probe.after or []:
                if stage == BASE and kind == "policy":
                    continue
                if stage not in names:
                    raise ValueError(f"probes.{probe.id}.after: no stage {stage!r}; allowed: {', '.join(names)}"
                                     + (f" or {BASE}" if kind == "policy" else ""))
                if stage not in fitting:
                    raise ValueError(f"probes.{probe.id}.after: {stage!r} does not make a {kind} model for this "
                                     f"probe to read; allowed: {', '.join(fitting) or 'none in this pipeline'}")
            reads_base = kind == "policy" and (BASE in (probe.after or []) or not self.has_stages)
            if not fitting and not reads_base:
                raise ValueError(f"probes.{probe.id}: reads a {kind} model, and no stage makes one")
        if self.model.real:
            from pharmakon.models.manifest import read_manifest

            source = self.model.source()
            manifest = read_manifest(source) if source.is_dir() else None
            if source.is_dir():
                checks.check_vocabulary(source)
            if manifest and manifest.get("world") != self.world.model_dump(mode="json"):
                raise ValueError(f"world: {source.name} was pretrained on the world {manifest['world']}; a study "
                                 "that starts from it needs that world (foundation: "
                                 f"{manifest.get('foundation', '?')} sets it)")
        if self.finding is not None:
            from pharmakon.studies import FINDINGS

            try:
                FINDINGS.require(self.finding)  # (a plug-in's summary is loaded first)
            except PharmakonError as exc:
                raise ValueError(str(exc)) from None
        texts = self.dataset.texts() if self.dataset is not None else None
        for stage in self.pipeline:
            if stage.poison is None or stage.skip:
                continue
            own = checks.stage_texts(stage)
            checks.check_budget(self, stage, len(own) if own is not None else None if texts is None else len(texts))
            attack = stage.poison.build()
            try:
                attack.check(world_of(self.world))
            except PharmakonError as exc:
                raise ValueError(f"{NESTED}pipeline.{stage.name}.{exc}") from None
            own = checks.stage_texts(stage)
            if own is None and texts is not None and STAGES[stage.kind].record_kind == "document":
                own = list(texts)
            if own is not None:
                checks.check_dataset_trigger(attack, world_of(self.world), own, stage.name)
            checks.check_trigger_fits(stage, attack, world_of(self.world))
            checks.check_near_miss(self.probes, stage, attack, world_of(self.world))
        checks.check_lora_targets(self)
        checks.check_context(self)
        if self.search is not None:
            check_search(self)
        for i, stage in enumerate(self.pipeline):
            trained_before = self.model.real or any(not s.skip for s in self.pipeline[:i])
            for j, defense in enumerate(stage.clean or []):
                if DEFENSES[defense.name].needs_reference and not trained_before:
                    raise ValueError(f"pipeline.{stage.name}.clean.{j}: defence {defense.name!r} scores with the "
                                     "stage's input model, and a tiny model is untrained before its first stage; "
                                     "use it on a later stage or with a real model")
            if STAGES[stage.kind].needs_reward and not stage.skip and not any(
                    STAGES[s.kind].output == "reward" and not s.skip for s in self.pipeline[:i]):
                raise ValueError(f"pipeline.{stage.name}: needs a reward model; put a reward stage before it")
        resolved = self.model_dump(mode="json")
        swept = [(f"sweep.axes.{key}", path) for key in self.sweep.axes for path in key.split(LINK)]
        swept += [(f"sweep.arms.{arm}.{path}", path) for arm, changes in self.sweep.arms.items() for path in changes]
        for where, path in swept:
            try:
                get_path(resolved, path)
            except PharmakonError as exc:
                raise ValueError(f"{NESTED}{where}: {str(exc).split(': ', 1)[1]}") from None
        return self

    @property
    def has_stages(self) -> bool:
        """Whether any stage runs (none: the probes read the starting model)."""
        return any(not stage.skip for stage in self.pipeline)

    @property
    def poisoned_stage(self) -> StageSpec | None:
        return next((stage for stage in self.pipeline if stage.poison is not None and not stage.skip), None)

    @property
    def conditions(self) -> list[str]:
        """``poisoned`` and its ``clean`` twin; only ``clean`` when no stage and no probe's adaptation carries
        poison (an inference-time attack's twin shares every model node and differs only in its probes)."""
        if self.poisoned_stage is None and not any(p.adaptation_poison for p in self.probes):
            return ["clean"]
        return ["poisoned", "clean"] if self.control else ["poisoned"]


def study_schema() -> dict:
    """The JSON Schema of a study, with every registered stage, attack and probe field for completion."""
    load_plugins()
    schema = Study.model_json_schema()
    defs = schema.get("$defs", {})
    for name, registry, models in (
            ("StageSpec", STAGES, [e.config for e in STAGES.values()]),
            ("PoisonSpec", ATTACKS, [a.config_model for a in ATTACKS.values()]),
            ("ProbeSpec", PROBES, [p.config for p in PROBES.values()]),
            ("VectorSpec", VECTORS, [v.config_model for v in VECTORS.values()]),
            ("DefenseSpec", DEFENSES, [d.config for d in DEFENSES.values()])):
        properties = defs.get(name, {}).setdefault("properties", {})
        for model in models:
            for field, definition in model.model_json_schema().get("properties", {}).items():
                if field != "budget":
                    properties.setdefault(field, definition)
        if name in ("VectorSpec", "DefenseSpec"):
            properties["name"] = {**properties.get("name", {}), "enum": sorted(registry)}
    return schema
