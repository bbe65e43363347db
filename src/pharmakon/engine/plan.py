"""The plan: sweep × seeds × condition → grid points → one graph of content-addressed nodes.

A node's key hashes the canonical JSON of its kind, config, inputs' keys, seed and code version (the source of
every pharmakon module its implementation imports, transitively: ``kernel.code``), so identical prefixes across
grid points are one node: a sweep over a DPO parameter pretrains once, and an edit to a stage's recipe, or to any
module it trains through, invalidates that stage and everything after it.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pharmakon.defenses import DEFENSES
from pharmakon.engine.items import BASE, StageSpec
from pharmakon.engine.kinds import KINDS, NODES
from pharmakon.engine.load import validate
from pharmakon.engine.paths import set_path
from pharmakon.engine.spec import LINK, Study
from pharmakon.errors import PharmakonError
from pharmakon.kernel.code import closure, code_version
from pharmakon.kernel.graph import Node, node_key
from pharmakon.kernel.results import point_id
from pharmakon.models.manifest import sha256
from pharmakon.poison import ATTACKS
from pharmakon.poison.behaviours import BEHAVIOURS
from pharmakon.poison.spec import unbudgeted
from pharmakon.poison.vectors import VECTORS
from pharmakon.probes import PROBES
from pharmakon.probes.context import JUDGES
from pharmakon.registry import module_of
from pharmakon.stages import STAGES


@cache
def file_digest(path: str) -> str:
    """The content hash of a local dataset: an edited file is a new input."""
    return sha256(Path(path))


@dataclass(frozen=True)
class Point:
    """One grid point: its swept values and the study with them applied."""

    id: str
    swept: dict
    study: Study


@dataclass(frozen=True)
class Measurement:
    """Where a probe node's rows go in the results table."""

    node: str
    point: str
    swept: dict
    condition: str
    seed: int
    after_stage: str
    adaptation: str
    probe: str


@dataclass
class Plan:
    study: Study
    points: list[Point]
    nodes: dict[str, Node] = field(default_factory=dict)  # in dependency order
    measurements: list[Measurement] = field(default_factory=list)
    lineage: list[dict] = field(default_factory=list)  # stage node → point, condition, seed, stage
    twins: dict = field(default_factory=dict)  # (point, seed, after) → the clean twin's model node

    @property
    def axes(self) -> list[str]:
        return self.study.sweep.columns

    def add(self, kind: str, label: str, config: dict, inputs: dict, seed: int | None, roots: list[str]) -> str:
        """The node's key; its code version hashes every module ``roots`` (modules or ``module:function``) import.
        A node wired with inputs its kind does not declare, or whose config its kind's typed config refuses, is
        refused."""
        node_kind = KINDS.require(kind)
        node_kind.check_inputs(inputs, label)
        node_kind.typed(config, label)
        modules = closure(roots)
        code = code_version(list(modules))
        key = node_key(kind, config, inputs, seed, code)
        if key not in self.nodes:
            executor = self.study.executor
            self.nodes[key] = Node(key, kind, label, config, inputs, seed, executor.cpus, executor.gpus,
                                   modules, code)
        return key


def grid(study: Study) -> list[Point]:
    """The grid points of the sweep (one point when nothing is swept)."""
    axes = study.sweep.axes
    paths = list(axes)
    combos = zip(*axes.values(), strict=True) if study.sweep.mode == "zip" else itertools.product(*axes.values())
    base = study.model_dump(mode="json")
    base["sweep"] = {"mode": study.sweep.mode, "axes": {}, "arms": {}}
    base.pop("search", None)  # a grid point is one design: the search is over the points
    points = []
    arms = list(study.sweep.arms.items()) or [(None, {})]
    for (arm, changes), values in itertools.product(arms, list(combos) if paths else [()]):
        data = base
        for path, value in changes.items():
            data = set_path(data, path, value)
        swept = dict(zip(paths, values, strict=True))
        for key, value in swept.items():
            for path in key.split(LINK):
                data = set_path(data, path, value)
        if arm is not None:
            swept["arm"] = arm
        try:
            point_study = validate(data)
        except PharmakonError as exc:
            raise PharmakonError(f"sweep: {exc} (at {swept})") from None
        points.append(Point(point_id(swept), swept, point_study))
    return points


def poison_roots(stage: StageSpec) -> list[str]:
    """The attack's classes' modules (a plugin's too), and its behaviour's and judge's (a plug-in behaviour writes
    the poisoned answers, its judge reads them): an edit to any re-runs the poisoned nodes."""
    if not stage.poison:
        return []
    attack = ATTACKS[stage.poison.attack]
    roots = [klass.__module__ for klass in attack.__mro__ if klass is not object]
    behaviour = BEHAVIOURS.get((stage.poison.model_extra or {}).get("target") or getattr(attack, "behaviour", ""))
    if behaviour is not None:
        roots.append(module_of(behaviour.answer))
        judge = JUDGES.get(behaviour.judge_name)
        if judge is not None:
            roots.append(module_of(getattr(judge, "source", judge)))
    return roots


def stage_roots(stage: StageSpec) -> list[str]:
    """What trains a stage: the kernel's runner, the recipe's module and its prepare step's (each with all it
    imports: ``finetune`` trains through ``lean_sft`` and ``sft``, ``rl`` through ``reward``), and the worker of
    a several-process stage."""
    entry = STAGES[stage.kind]
    roots = [f"{NODES}:run_stage", f"{NODES}:run_prepare", entry.module]
    if entry.prepare:
        roots.append(module_of(entry.prepare))
    if (stage.model_extra or {}).get("processes", 1) > 1:
        roots.append("pharmakon.engine.worker")
    return roots


def check_adaptations(study: Study) -> None:
    """Refuse an adaptation whose store is empty or smaller than its k in this study's world."""
    from pharmakon.engine.spec import world_of
    from pharmakon.inference.adaptations import check_store, parse_adaptation

    for probe in study.probes:
        if probe.adaptation_name != "plain":
            check_store(parse_adaptation(probe.adaptation), world_of(study.world), f"probes.{probe.name}.adaptation")


def declined(probe, study: Study) -> str:
    """Why the probe cannot read this study's model (a router probe on a dense model), or ""."""
    declines = PROBES[probe.name].declines
    return declines(probe.probe_config(), study.model.moe) if declines else ""


def check_probes_apply(points: list[Point]) -> None:
    """Refuse a probe that can read no grid point's model (it is left out only where another point has one)."""
    reasons: dict[str, list[str]] = {}  # a probe's id → why each point's model cannot be read ("" where it can)
    for point in points:  # (an arm may set its own probes)
        for probe in point.study.probes:
            reasons.setdefault(probe.id, []).append(declined(probe, point.study))
    for probe_id, why in reasons.items():
        if all(why):
            raise PharmakonError(f"probes.{probe_id}: {why[0]}")


def plan_study(study: Study) -> Plan:
    """Expand the study into its node graph and the measurements that fill the results table."""
    plan = Plan(study, grid(study))
    check_probes_apply(plan.points)
    for point in plan.points:
        check_adaptations(point.study)
        # a probe that reads the clean twin (a model defence's reference) needs the clean chain planned first
        twin_first = any(PROBES[p.name].needs_reference for p in study.probes)
        conditions = sorted(study.conditions, key=lambda c: c != "clean") if twin_first else study.conditions
        for seed in study.seeds:
            for condition in conditions:
                add_pipeline(plan, point, seed, condition)
    return plan


def adaptation_fields(probe, condition: str) -> dict:
    """The probe node's adaptation config (the condition decides whether its poison is planted); a plain probe
    keeps its config as it was."""
    fields = {"adaptation": probe.adaptation}
    if probe.adaptation_name != "plain" and probe.adaptation_poison:
        fields["adaptation_poisoned"] = condition == "poisoned"
    return fields


def adaptation_roots(probe) -> list[str]:
    """The module of the adapter a probe runs under (its key covers that adapter, no other)."""
    from pharmakon.inference.adaptations import ADAPTATIONS

    return [module_of(ADAPTATIONS[probe.adaptation_name].adapter)]


@cache
def source_digest(path: str) -> str:
    """The content hash of a real model's file, or of every file of its directory."""
    files = sorted(p for p in Path(path).rglob("*") if p.is_file()) if Path(path).is_dir() else [Path(path)]
    return hashlib.sha256("".join(f"{p.name}:{file_digest(str(p))}" for p in files).encode()).hexdigest()


REAL_ROOTS = ["pharmakon.engine.real_nodes"]


def add_real_model(plan: Plan, study: Study) -> tuple[str, str]:
    """A real model's tokenizer and its converted weights: seedless, so every seed and condition shares them."""
    path = str(study.model.source())
    source = {"path": path, "sha256": source_digest(path)}
    label = study.model.label
    tokenizer = plan.add("real_tokenizer", f"tokenizer {label}", {"source": source, "chat": study.model.chat},
                         {}, None, REAL_ROOTS)
    model = plan.add("convert", f"convert {label}", {"source": source}, {"tokenizer": tokenizer}, None,
                     REAL_ROOTS)
    return tokenizer, model


def add_pipeline(plan: Plan, point: Point, seed: int, condition: str) -> None:
    """Nodes of one pipeline run (one grid point, seed and condition) and its measurements."""
    study = point.study
    world = study.world.model_dump(mode="json")
    dataset = {"path": study.dataset.path, "sha256": file_digest(study.dataset.path)} if study.dataset else None

    def where(upto: list[str]) -> str:
        """Condition, seed and the swept values that can reach this node (labels of shared nodes stay true)."""
        swept = {path: value for path, value in point.swept.items()
                 if not path.startswith("pipeline.") or path.split(".")[1] in upto}
        return ", ".join([condition, f"seed {seed}", *(f"{k.removeprefix('pipeline.')}={v}" for k, v in swept.items())])

    if study.model.real:
        tokenizer, model = add_real_model(plan, study)
    else:
        tokenizer = plan.add("tokenizer", "tokenizer", {"world": world, "dataset": dataset,
                                                        "vocab_size": study.model.vocab_size},
                             {}, None, [f"{NODES}:run_tokenizer"])
        model = plan.add("init", f"init {study.model.name} [seed {seed}]", {"model": study.model.name},
                         {"tokenizer": tokenizer}, seed, [f"{NODES}:run_init"])
    poisoned = study.poisoned_stage
    poison_config = poisoned.poison.model_dump(mode="json") if poisoned else None
    # later stages' poison (an owner who marks pretraining documents and instruction data): probes see it too
    later = [s for s in study.pipeline if s.poison is not None and not s.skip and s is not poisoned]
    probe_roots = [m for s in ([poisoned] if poisoned else []) + later for m in poison_roots(s)]
    chat = bool(study.model.chat)  # a real chat model is prompted through its chat template from the start
    upto: list[str] = []
    reward_model: str | None = None

    default_after = None if study.has_stages else [BASE]  # no stage: probe the starting model

    def add_probes(after: str, output: str, trained: str, upto: list[str], chat: bool,
                   stage_io: dict[str, str] | None = None, stage_recipe: dict | None = None) -> None:
        """The probe nodes that read ``trained``, the model ``after`` a stage (or ``base``, the starting model);
        ``stage_io`` names the stage's data and input model (for a probe that ``needs_data``), ``stage_recipe`` is
        the stage's kind and recipe (for one that ``retrains`` it)."""
        if condition == "clean":
            plan.twins[(point.id, seed, after)] = trained
        for probe in study.probes:
            wanted = probe.after if probe.after is not None else default_after
            if wanted is None and after == BASE or wanted is not None and after not in wanted:
                continue
            if PROBES[probe.name].model_kind != output:  # reward probes read reward models, others policies
                continue
            if declined(probe, study):  # e.g. routing on the dense twin of a sweep over dense and MoE
                continue
            adapted = adaptation_fields(probe, condition)
            reads_poison = PROBES[probe.name].reads_poison
            seen = (lambda p: p) if PROBES[probe.name].reads_budget else unbudgeted  # the key holds what it reads
            probe_config = {"probe": probe.name, "config": probe.probe_config().model_dump(mode="json"),
                            **adapted, "style": "chat" if chat else "document",
                            "poison": seen(poison_config) if reads_poison and poison_config else None,
                            "world": world, "dataset": dataset, "threads": study.executor.cpus}
            if later and reads_poison:
                probe_config["later_poison"] = [seen(s.poison.model_dump(mode="json")) for s in later]
            probe_inputs = {"model": trained, "tokenizer": tokenizer}
            if PROBES[probe.name].needs_reference:
                probe_inputs["reference"] = plan.twins.get((point.id, seed, after), trained)
            if PROBES[probe.name].needs_data and stage_io is not None:
                probe_inputs.update(stage_io)
                if PROBES[probe.name].retrains:
                    probe_config["stage"] = stage_recipe
            probe_entry = PROBES[probe.name]
            if probe_entry.prepare is not None and probe.adaptation_name == "plain":  # its poison-free part
                prepare_config = {k: v for k, v in probe_config.items() if k not in ("poison", "later_poison")}
                probe_inputs["prepared"] = plan.add(
                    "probe-prepare", f"probe {probe.name} (prepare) after {after} [{where(upto)}]", prepare_config,
                    {"model": trained, "tokenizer": tokenizer}, seed,
                    [f"{NODES}:run_probe_prepare", module_of(probe_entry.prepare), *probe_entry.uses])
            key = plan.add("probe", f"probe {probe.name} after {after} [{where(upto)}]", probe_config,
                           probe_inputs, seed,
                           [f"{NODES}:run_probe", PROBES[probe.name].module, *PROBES[probe.name].uses,
                            *adaptation_roots(probe), *(probe_roots if reads_poison else [])])
            plan.measurements.append(Measurement(key, point.id, point.swept, condition, seed, after,
                                                 probe.adaptation_name, probe.name))

    add_probes(BASE, "policy", model, upto, chat)
    for stage in study.pipeline:
        if stage.skip:
            continue
        upto.append(stage.name)
        entry = STAGES[stage.kind]
        poison = stage.poison.model_dump(mode="json") if stage.poison and condition == "poisoned" else None
        data_config = {"record_kind": entry.record_kind, "world": world, "dataset": dataset,
                       "data": stage.data.key_fields(), "poison": poison}
        data_inputs, collected = {"tokenizer": tokenizer}, False
        data_code = [f"{NODES}:clean_data", *([f"{NODES}:poison_data", *poison_roots(stage)] if poison else [])]
        if poison and stage.poison.build().needs_model():  # poison crafted against the stage's input model
            data_inputs["model"] = model
        if stage.poison is not None and stage.poison.vector is not None:  # the clean twin is collected the same way
            data_config["vector"] = stage.poison.vector.model_dump(mode="json")
            data_code += [f"{NODES}:collect_and_clean", VECTORS[stage.poison.vector.name].simulate.__module__]
            collected = True
        if stage.clean:
            data_config["clean"] = [d.model_dump(mode="json") for d in stage.clean]
            data_code += [f"{NODES}:collect_and_clean", *(DEFENSES[d.name].module for d in stage.clean)]
            collected = True
            if any(DEFENSES[d.name].needs_reference for d in stage.clean):
                data_inputs["model"] = model  # perplexity and ONION score with the stage's input model
        data = plan.add("data", f"data {stage.name} [{'poisoned' if poison else 'clean'}]", data_config,
                        data_inputs, seed if poison or collected else None, data_code)
        recipe = stage.recipe_config().model_dump(mode="json")
        recipe["threads"] = recipe["threads"] or study.executor.cpus
        inputs = {"model": model, "data": data, "tokenizer": tokenizer}
        if entry.needs_reward:  # RL against the reward model of the latest reward stage
            inputs["reward_model"] = reward_model
        code = stage_roots(stage)
        if entry.prepare:  # e.g. DPO's reference log-probs: shared by a sweep over the other fields
            fields = {name: recipe[name] for name in entry.prepare_fields}
            inputs["prepared"] = plan.add("prepare", f"{stage.name} (prepare) [{where(upto[:-1])}]",
                                          {"kind": stage.kind, "fields": fields}, dict(inputs), seed, code)
        trained = plan.add("stage", f"{stage.name} [{where(upto)}]", {"kind": stage.kind, "recipe": recipe},
                           inputs, seed, code)
        plan.lineage.append({"node": trained, "point": point.id, "condition": condition, "seed": seed,
                             "stage": stage.name})
        if entry.output == "reward":  # the policy chain goes on from this stage's input model
            reward_model = trained
        else:
            model = trained
            chat = chat or entry.chat
        add_probes(stage.name, entry.output, trained, upto, chat, {"data": data, "stage_input": inputs["model"]},
                   {"kind": stage.kind, "recipe": recipe})
