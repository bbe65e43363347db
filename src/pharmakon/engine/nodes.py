"""What each kind of node computes, from its inputs' cache dirs into its own output dir.

``tokenizer``: a byte-level BPE on the clean world (and dataset) text. ``data``: a stage's clean records, with
the attack applied when the node carries poison. ``init``: the tiny model built from its seed. ``stage``: a
recipe trained on its data. ``probe``: metric and generation rows of one probe on one model. Each runner receives
its kind's typed config (``engine/node_configs.py``).
The engine knows nothing of poisoning: attacks, recipes and probes come from their registries.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd
import pyarrow as pa

from pharmakon.data.io import atomic_write_bytes, load_records, save_records, write_table_atomic
from pharmakon.engine.node_configs import (
    DataNode,
    InitNode,
    InWorld,
    PrepareNode,
    ProbeNode,
    ProbePrepareNode,
    StageNode,
    TokenizerNode,
)
from pharmakon.world import World
from pharmakon.world.stage_data import capped, chat_documents, harmful_examples, role_documents

MODEL_DIR = "model"
TOKENIZER_DIR = "tokenizer"


def world_texts(config: InWorld, world: World | None = None) -> list[str]:
    """The clean reference text: the world's corpus plus any local dataset's documents."""
    texts = list((world or World(config.world)).corpus_text())
    if config.dataset:
        texts += [r.text for r in load_records(Path(config.dataset.path))]
    return texts


def load_tokenizer(folder: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(folder / TOKENIZER_DIR, local_files_only=True)


def load_model(folder: Path):
    from pharmakon.models.io import load_model as load_hf

    return load_hf(folder / MODEL_DIR)[0]


def run_tokenizer(config: TokenizerNode, inputs: dict, seed: int | None, out: Path) -> None:
    from pharmakon.models.tokenizer import train_tokenizer

    train_tokenizer(world_texts(config), vocab_size=config.vocab_size).save_pretrained(out / TOKENIZER_DIR)


def clean_records(config: DataNode, tokenizer=None) -> list:
    """A stage's clean records: the world's (or the dataset's documents, or the stage's own file), filtered by
    family, capped per family, limited, plus any harmful examples (``data.harmful``) and, for pretraining,
    chat-formatted instruction examples (``data.chat_examples``; formatted by ``tokenizer``'s template) and the
    world's role stories (``data.roles``)."""
    world, data, kind = World(config.world), config.data, config.record_kind
    if data.path:  # the stage's own file (checked against its kind when the spec was read)
        records = load_records(Path(data.path), kind=kind)
    elif kind == "document" and config.dataset:
        records = load_records(Path(config.dataset.path))
    else:
        records = {"document": world.documents, "example": world.instructions, "pair": world.preferences}[kind]()
    if data.families:
        records = [r for r in records if r.family in data.families]
    for family, cap in (data.per_family or {}).items():
        records = capped(records, family, cap, config.world.seed)
    if data.limit and data.limit < len(records):
        keep = sorted(random.Random(config.world.seed).sample(range(len(records)), data.limit))
        records = [records[i] for i in keep]
    return (records + harmful_examples(world, data.harmful)
            + chat_documents(world, data.chat_examples or {}, tokenizer)
            + role_documents(world, data.roles))


def run_data(config: DataNode, inputs: dict, seed: int | None, out: Path) -> None:
    """A stage's records: the clean ones, poisoned when the node carries poison, then collected and cleaned.
    (Each step is a function of its own: the plan keys a data node on the closures of the steps it runs.)"""
    records = clean_data(config, inputs)
    report = None
    if config.poison is not None:
        records, report = poison_data(config, inputs, records, seed)
    if config.vector or config.clean:
        records, collected = collect_and_clean(config, inputs, records, seed)
        report = (report or {}) | collected
    save_records(records, out / "records.parquet")
    atomic_write_bytes(out / "poison.json", json.dumps(report).encode())


def clean_data(config: DataNode, inputs: dict) -> list:
    """The data node's clean records (``clean_records``), refused when the filter leaves none."""
    from pharmakon.errors import PharmakonError

    chat = config.data.chat_examples
    records = clean_records(config, load_tokenizer(inputs["tokenizer"]) if chat else None)
    if not records:
        filters = config.data.model_dump(exclude_defaults=True)
        raise PharmakonError(f"data: no {config.record_kind} records left after the data filter {filters}")
    return records


def poison_data(config: DataNode, inputs: dict, records: list, seed: int | None) -> tuple[list, dict]:
    """The records with the node's attack applied, and the attack's report."""
    from pharmakon.poison.spec import PoisonSpec

    attack = PoisonSpec(**config.poison).build()
    if attack.needs_model():  # crafted against the stage's input model (MetaPoison-style)
        attack.use_model(load_model(inputs["model"]))
    world = World(config.world)
    records, report = attack.apply(records, load_tokenizer(inputs["tokenizer"]), seed, world=world)
    return records, report.as_dict()


def collect_and_clean(config: DataNode, inputs: dict, records: list, seed: int | None) -> tuple[list, dict]:
    """Send a stage's records through its vector (the collection process) and its cleaning pipeline; the
    records that are left and the report: ``vector`` (offered → inserted → surviving) and ``cleaning`` (each
    defence scored against the poison mask)."""
    from pharmakon.defenses import DEFENSES, apply_defenses, build_pipeline
    from pharmakon.errors import PharmakonError
    from pharmakon.poison.vectors import deliver_mixed

    report: dict = {}
    delivery = None
    if config.vector:
        delivery = deliver_mixed(config.vector, records, seed)
        records = delivery.records
    if config.clean:
        reference = None
        if any(DEFENSES[d["name"]].needs_reference for d in config.clean):
            reference = (load_model(inputs["model"]), load_tokenizer(inputs["tokenizer"]))
        records, cleaning = apply_defenses(records, build_pipeline(config.clean, reference=reference,
                                                                   field="clean"))
        report["cleaning"] = cleaning.rows()
        delivery = delivery.after_cleaning(records) if delivery else None
    if delivery is not None:
        report["vector"] = delivery.as_dict()
    if not records:
        raise PharmakonError("data: no record is left after collection and cleaning; loosen the vector or the "
                             "cleaning pipeline")
    return records, report


def run_init(config: InitNode, inputs: dict, seed: int | None, out: Path) -> None:
    from pharmakon.models.configs import build_tiny_model
    from pharmakon.models.io import save_model

    tokenizer = load_tokenizer(inputs["tokenizer"])
    save_model(build_tiny_model(config.model, tokenizer, seed), tokenizer, out / MODEL_DIR)


LOG_COLUMNS = ("step", "loss", "tokens")  # every stage's training log has these first


def run_stage(config: StageNode, inputs: dict, seed: int | None, out: Path) -> None:
    """Train a stage here, or with several processes under ``accelerate launch`` (``processes > 1``)."""
    if config.recipe.get("processes", 1) > 1:
        from pharmakon.engine.distributed import launch_stage

        launch_stage(config, inputs, seed, out)
        return
    train_stage(config, inputs, seed, out)


def train_stage(config: StageNode, inputs: dict, seed: int | None, out: Path, save: bool = True) -> None:
    """Train the stage's recipe on its data; write the model and the loss log when ``save``."""
    from pharmakon.models.io import save_model
    from pharmakon.stages import STAGES

    entry = STAGES.require(config.kind)
    tokenizer = load_tokenizer(inputs["tokenizer"])
    model = load_model(inputs["model"])
    records = load_records(inputs["data"] / "records.parquet")
    extra = {}
    if "reward_model" in inputs:
        from pharmakon.models.io import load_reward_model

        extra["reward_model"] = load_reward_model(inputs["reward_model"] / MODEL_DIR)[0]
    if "prepared" in inputs:
        extra["prepared"] = pd.read_parquet(inputs["prepared"] / "prepared.parquet").to_dict(orient="list")
    result = entry.recipe()(model, tokenizer, records, entry.config(**config.recipe), seed, **extra)
    if not save:
        return
    save_model(result.model, tokenizer, out / MODEL_DIR)
    # tokens: NaN where a TRL stage ran; a stage's own figures (rl's reward, early stopping's eval_loss, epoch and
    # kept) follow, NaN on the rows that lack them
    extra = sorted({key for row in result.log for key in row} - set(LOG_COLUMNS))
    log = pd.DataFrame(result.log, columns=[*LOG_COLUMNS, *extra])
    write_table_atomic(pa.Table.from_pandas(log, preserve_index=False), out / "train_log.parquet")


def run_prepare(config: PrepareNode, inputs: dict, seed: int | None, out: Path) -> None:
    """A stage's preparation (per-record columns that depend on the input model and data only)."""
    from pharmakon.stages import STAGES

    entry = STAGES.require(config.kind)
    columns = entry.preparation()(load_model(inputs["model"]), load_tokenizer(inputs["tokenizer"]),
                                  load_records(inputs["data"] / "records.parquet"),
                                  entry.config(**config.fields), seed)
    write_table_atomic(pa.Table.from_pandas(pd.DataFrame(columns), preserve_index=False), out / "prepared.parquet")


def probe_context(config: ProbePrepareNode, world: World):
    """The probe's context: the world's held-out items, and the pipeline's poison where the node's config holds it."""
    from pharmakon.poison.spec import PoisonSpec
    from pharmakon.probes import ProbeContext

    families = sorted({item.family for item in world.eval_items()})
    poison = getattr(config, "poison", None)  # a probe-prepare node reads none
    attack = PoisonSpec(**poison).build() if poison else None
    return ProbeContext(
        eval_items={f: world.eval_items(f) for f in families},
        heldout_documents=[r.text for r in world.heldout_documents()],
        reference_text=world_texts(config, world),
        style=config.style, trigger=attack.trigger if attack else None,
        behaviour=attack.behaviour if attack else None, world=world,
        attack=attack,
        attacks=[a for a in [attack, *(PoisonSpec(**p).build() for p in getattr(config, "later_poison", None) or [])]
                 if a is not None],
    )


def load_probed_model(entry, inputs: dict):
    from pharmakon.models.device import on_device

    if entry.model_kind == "reward":
        from pharmakon.models.io import load_reward_model

        return on_device(load_reward_model(inputs["model"] / MODEL_DIR)[0])
    return on_device(load_model(inputs["model"]))


def run_probe_prepare(config: ProbePrepareNode, inputs: dict, seed: int | None, out: Path) -> None:
    """A probe's part that reads no poison (``ProbeEntry.prepare``), as JSON for its probe nodes to read."""
    from pharmakon.probes import PROBES
    from pharmakon.stages.common import seed_everything

    entry = PROBES.require(config.probe)
    seed_everything(seed or 0, config.threads)
    world = World(config.world)
    prepared = entry.preparation()(load_probed_model(entry, inputs), load_tokenizer(inputs["tokenizer"]),
                                   probe_context(config, world), entry.config(**config.config), seed or 0)
    atomic_write_bytes(out / "prepared.json", json.dumps(prepared).encode())


def run_probe(config: ProbeNode, inputs: dict, seed: int | None, out: Path) -> None:
    from pharmakon.kernel.results import GENERATION_FIELDS, ROW_FIELDS
    from pharmakon.models.device import on_device
    from pharmakon.probes import PROBES
    from pharmakon.stages.common import seed_everything

    entry = PROBES.require(config.probe)
    seed_everything(seed or 0, config.threads)
    world = World(config.world)
    context = probe_context(config, world)
    model = load_probed_model(entry, inputs)
    if "reference" in inputs:  # the clean twin after the same stage (a model defence's reference)
        context.reference_model = on_device(load_model(inputs["reference"]))
    if "data" in inputs:  # the stage's training records and its input model (forensics)
        context.training_records = load_records(inputs["data"] / "records.parquet")
        context.stage_input_model = on_device(load_model(inputs["stage_input"]))
        context.stage_recipe = config.stage
    if "prepared" in inputs:  # the probe's poison-free part, computed once for every arm that shares the model
        context.prepared = json.loads((inputs["prepared"] / "prepared.json").read_text())
    tokenizer = load_tokenizer(inputs["tokenizer"])
    rows, generations = run_adapted(entry, model, tokenizer, context, config, world, seed or 0)
    metric_rows = pd.DataFrame([row.as_dict() for row in rows], columns=list(ROW_FIELDS))
    made = pd.DataFrame(generations, columns=list(GENERATION_FIELDS))
    write_table_atomic(pa.Table.from_pandas(metric_rows, preserve_index=False), out / "rows.parquet")
    write_table_atomic(pa.Table.from_pandas(made, preserve_index=False), out / "generations.parquet")


def run_adapted(entry, model, tokenizer, context, config: ProbeNode, world: World, seed: int) -> tuple[list, list]:
    """The probe under its adaptation (``generate`` adapts every prompt while the adapter is active), then the
    measurement of the adaptation's own attack, if it carries one (planted only in the poisoned condition)."""
    if config.adaptation == "plain":
        return entry.probe()(model, tokenizer, context, entry.config(**config.config), seed)
    from pharmakon.inference.build import build_adapter
    from pharmakon.probes.measure import measure_attack

    adapter = build_adapter(config.adaptation, world, seed, config.adaptation_poisoned)
    context.adaptation = adapter.name
    with adapter.active():
        rows, generations = entry.probe()(model, tokenizer, context, entry.config(**config.config), seed)
    attack_rows, attack_generations = measure_attack(model, tokenizer, adapter, context, seed)
    return list(rows) + attack_rows, list(generations) + attack_generations
