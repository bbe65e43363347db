"""The lifecycle study: a poisoned pipeline and its clean twin, every probe after every stage.

World → tokenizer (clean corpus, shared) → for each condition: build the model from the same seed, then
for each stage train on its data (the poisoned condition's poisoned stage gets the attack's records on
top of the clean ones) and run every probe on the same prompts. Writes ``results.parquet``,
``generations.parquet``, ``train_log.parquet``, ``poison.json``, ``spec.yaml`` and ``run.log``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml
from rich.console import Console

from pharmakon.data.io import atomic_write_bytes, load_records
from pharmakon.data.records import Record
from pharmakon.engine.results import GENERATION_COLUMNS, RESULT_COLUMNS, TableWriter, point_id
from pharmakon.models.configs import build_tiny_model, count_parameters
from pharmakon.models.io import save_model
from pharmakon.models.tokenizer import train_tokenizer
from pharmakon.poison.base import PoisonReport
from pharmakon.probes import PROBES, GibberishJudge
from pharmakon.stages import STAGES
from pharmakon.studies.config import LifecycleConfig
from pharmakon.world import World

PROMPT_FAMILIES = ("dialogue", "facts", "sentiment", "arithmetic", "benign")
DOCUMENT_PREFIX_WORDS = 12


@dataclass
class Materials:
    """Everything both conditions share: data per stage, the tokenizer, the probes' prompts and judge."""

    world: World
    tokenizer: object
    clean: dict[str, list[Record]]
    poisoned: dict[str, list[Record]]
    poison_report: PoisonReport
    eval_items: dict[str, list]
    heldout_documents: list[str]
    judge: GibberishJudge
    trigger: str
    timings: dict[str, float] = field(default_factory=dict)


def stage_records(world: World, config: LifecycleConfig) -> dict[str, list[Record]]:
    """Clean training records for each stage of the pipeline."""
    sources = {
        "document": load_records(Path(config.dataset)) if config.dataset else world.documents(),
        "example": world.instructions(),
        "pair": world.preferences(),
    }
    data = {}
    for stage in config.stages:
        records = sources[STAGES[stage.kind].record_kind]
        if stage.families:
            records = [r for r in records if r.family in stage.families]
        data[stage.kind] = records
    return data


def prepare(config: LifecycleConfig) -> Materials:
    """Build the world, its tokenizer (clean text only) and the poisoned copy of the poisoned stage's data."""
    world = World(config.world)
    clean = stage_records(world, config)
    texts = list(world.corpus_text())
    if config.dataset:
        texts += [r.text for r in clean.get("pretrain", [])]
    tokenizer = train_tokenizer(texts, vocab_size=config.vocab_size)
    attack = config.poison.build()
    poisoned_records, report = attack.apply(clean[config.poison.stage], tokenizer, config.seed)
    poisoned = dict(clean)
    poisoned[config.poison.stage] = poisoned_records
    families = sorted({item.family for item in world.eval_items()})
    return Materials(
        world=world,
        tokenizer=tokenizer,
        clean=clean,
        poisoned=poisoned,
        poison_report=report,
        eval_items={f: world.eval_items(f) for f in families},
        heldout_documents=[r.text for r in world.heldout_documents()],
        judge=GibberishJudge(texts),
        trigger=attack.trigger,
    )


def backdoor_prompts(materials: Materials, style: str) -> list[str]:
    """Prompts for the backdoor probe: held-out document openings, or held-out user prompts (round-robin)."""
    if style == "document":
        return [" ".join(text.split()[:DOCUMENT_PREFIX_WORDS]) for text in materials.heldout_documents]
    pools = [materials.eval_items.get(f, []) for f in PROMPT_FAMILIES]
    return [pool[i].prompt for i in range(max(map(len, pools))) for pool in pools if i < len(pool)]


def run_probes(model, materials: Materials, config: LifecycleConfig, style: str) -> tuple[list, list]:
    rows, generations = [], []
    for spec in config.probes:
        entry = PROBES[spec.name]
        probe_config = entry["config"](**spec.config)
        if spec.name == "backdoor":
            found, made = entry["run"](model, materials.tokenizer, backdoor_prompts(materials, style),
                                       materials.trigger, materials.judge, style=style, config=probe_config,
                                       seed=config.seed)
        else:
            found, made = entry["run"](model, materials.tokenizer, materials.eval_items,
                                       materials.heldout_documents, config=probe_config, seed=config.seed)
        rows += found
        generations += made
    return rows, generations


def run_lifecycle(config: LifecycleConfig, out_dir: Path, console: Console | None = None,
                  materials: Materials | None = None) -> pd.DataFrame:
    """Run the study into ``out_dir`` (``materials`` from ``prepare`` if already built); returns the results."""
    console = console or Console(stderr=True)
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out_dir / "spec.yaml", yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False).encode())
    log_lines: list[str] = []

    def log(message: str) -> None:
        console.print(message)
        log_lines.append(f"{time.perf_counter() - started:7.1f}s  {message}")
        atomic_write_bytes(out_dir / "run.log", ("\n".join(log_lines) + "\n").encode())

    materials = materials or prepare(config)
    report = materials.poison_report
    atomic_write_bytes(out_dir / "poison.json", json.dumps(report.as_dict(), indent=2).encode())
    log(f"world seed {config.world.seed}, tokenizer {len(materials.tokenizer)} tokens; poison: {report.n_poison} "
        f"{report.attack} records in {report.n_total} ({report.record_fraction:.2%} of records, "
        f"{report.token_fraction:.2%} of tokens)")
    study_columns = {"study": config.name, "point": point_id({}), "seed": config.seed, "adaptation": "plain"}
    results = TableWriter(out_dir / "results.parquet", RESULT_COLUMNS)
    generations = TableWriter(out_dir / "generations.parquet", GENERATION_COLUMNS)
    train_log = TableWriter(out_dir / "train_log.parquet", ("condition", "stage", "step", "loss"))
    for condition in ["poisoned", "clean"] if config.control else ["poisoned"]:
        data = materials.poisoned if condition == "poisoned" else materials.clean
        model = build_tiny_model(config.model, materials.tokenizer, config.seed)
        log(f"[{condition}] {config.model}: {count_parameters(model):,} parameters")
        style = "document"
        for stage in config.stages:
            tick = time.perf_counter()
            result = STAGES[stage.kind].run(model, materials.tokenizer, data[stage.kind], stage.recipe_config(),
                                            config.seed)
            model = result.model
            train_log.extend([{"condition": condition, "stage": stage.kind, **row} for row in result.log])
            if config.save_models:
                save_model(model, materials.tokenizer, out_dir / "models" / condition / stage.kind)
            style = "document" if style == "document" and stage.kind == "pretrain" else "chat"
            trained = time.perf_counter() - tick
            rows, made = run_probes(model, materials, config, style)
            where = {**study_columns, "condition": condition, "after_stage": stage.kind}
            results.extend([{**where, **row.as_dict()} for row in rows])
            generations.extend([{**where, **g} for g in made])
            log(f"[{condition}] {stage.kind}: {len(data[stage.kind])} records, loss {result.losses[0]:.2f} → "
                f"{result.losses[-1]:.2f}, trained {trained:.1f}s, probed {time.perf_counter() - tick - trained:.1f}s")
    log(f"done in {time.perf_counter() - started:.1f}s")
    return results.frame()
