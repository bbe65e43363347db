"""Run a study: plan it, compute what the cache lacks, write the run dir as nodes finish.

Data nodes (tokenizer, records, poison) run first, before the run dir exists, so bad data fails with nothing
written. Results rows are appended as probe nodes finish; at the end every table is rewritten in plan order, so
a resumed run ends with the same files as an uninterrupted one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
import yaml

from pharmakon.data.io import atomic_write_bytes
from pharmakon.engine.compute import compute_node
from pharmakon.engine.data_rows import data_rows
from pharmakon.engine.plan import Measurement, Plan, plan_study
from pharmakon.engine.spec import Study
from pharmakon.errors import PharmakonError
from pharmakon.kernel.cache import Cache, check_writable
from pharmakon.kernel.executors import Done, execute, run_local
from pharmakon.kernel.graph import Node
from pharmakon.kernel.progress import StudyProgress
from pharmakon.kernel.results import (
    GENERATION_COLUMNS,
    RESULT_COLUMNS,
    TableWriter,
    columns_with_axes,
)
from pharmakon.report import build_report
from pharmakon.report.environment import environment

PREFLIGHT = ("tokenizer", "real_tokenizer", "data")
# figures some stages add to their training log: rl's mean reward a step; early stopping's held-out loss, epoch
# and the row of the epoch whose weights were kept (kept = 1)
STAGE_LOG_FIGURES = ("reward", "eval_loss", "epoch", "kept")


@dataclass
class RunOutcome:
    run_dir: Path
    results: pd.DataFrame
    total: int
    cached: int
    computed: int
    seconds: float


def spec_yaml(study: Study) -> str:
    return yaml.safe_dump(study.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def is_preflight(node: Node) -> bool:
    """Tokenizer and data nodes run first (bad data fails before any training), except data that a defence
    cleans with the stage's input model: it waits for that model."""
    return node.kind in PREFLIGHT and "model" not in node.inputs


def preflight(nodes: list[Node], cache: Cache, started: Callable[[Node], None], done: Done) -> None:
    """Run the tokenizer and data nodes among ``nodes`` here, in order, through the cache (bad data fails here)."""
    run_local([node for node in nodes if is_preflight(node)], cache, compute_node, started, done)


def choose_run_dir(study: Study, out: Path | None) -> Path:
    """``out`` (a finished or killed run of the same spec resumes there), else ``runs/<study>-<time>/``."""
    if out is None:
        out = Path("runs") / f"{study.name}-{datetime.now():%Y%m%d-%H%M%S}"
        suffix = 1
        while out.exists():
            out, suffix = out.with_name(f"{out.name.rsplit('.', 1)[0]}.{suffix}"), suffix + 1
        return out
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise PharmakonError(f"out: {out} is a file, not a directory")
    if (out / "spec.yaml").exists():
        try:
            same = (out / "spec.yaml").read_text(encoding="utf-8") == spec_yaml(study)
        except (OSError, UnicodeDecodeError):
            same = False
        if not same:
            raise PharmakonError(f"out: {out} holds a different study; choose another directory")
    return out


class RunWriter:
    """The run dir's tables, filled as probe nodes finish."""

    def __init__(self, plan: Plan, cache: Cache, run_dir: Path) -> None:
        self.plan, self.cache, self.run_dir = plan, cache, run_dir
        axes = plan.axes
        self.results = TableWriter(run_dir / "results.parquet", columns_with_axes(RESULT_COLUMNS, axes))
        self.generations = TableWriter(run_dir / "generations.parquet", columns_with_axes(GENERATION_COLUMNS, axes))
        self.by_node: dict[str, list[Measurement]] = {}
        for measurement in plan.measurements:
            self.by_node.setdefault(measurement.node, []).append(measurement)

    def _frames(self, measurement: Measurement) -> tuple[pd.DataFrame, pd.DataFrame]:
        folder = self.cache.path(measurement.node)
        where = {"study": self.plan.study.name, "point": measurement.point, **measurement.swept,
                 "condition": measurement.condition, "seed": measurement.seed,
                 "after_stage": measurement.after_stage, "adaptation": measurement.adaptation}
        rows = pd.read_parquet(folder / "rows.parquet").assign(**where)
        made = pd.read_parquet(folder / "generations.parquet").assign(**where)
        return rows, made

    def _data_frame(self) -> pd.DataFrame:
        """Rows read off the stages' data: a vector's insertion counts, a cleaning pipeline's scores."""
        swept = {m.point: m.swept for m in self.plan.measurements}
        frames = []
        for entry in self.plan.lineage:
            report = json.loads((self.cache.path(self.plan.nodes[entry["node"]].inputs["data"]) / "poison.json")
                                .read_text())
            rows = data_rows(report)
            if rows:
                where = {"study": self.plan.study.name, "point": entry["point"], **swept.get(entry["point"], {}),
                         "condition": entry["condition"], "seed": entry["seed"], "after_stage": entry["stage"],
                         "adaptation": "plain"}
                frames.append(pd.DataFrame(rows).assign(**where))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=self.results.columns)

    def add(self, node_key: str) -> None:
        for measurement in self.by_node.get(node_key, []):
            rows, made = self._frames(measurement)
            self.results.extend(rows, flush=False)
            self.generations.extend(made, flush=False)
        if node_key in self.by_node:
            self.results.flush()
            self.generations.flush()

    def finish(self) -> pd.DataFrame:
        """Rewrite every table in plan order (equal whether or not the run was interrupted)."""
        self.results.parts, self.generations.parts = [], []
        for measurement in self.plan.measurements:
            rows, made = self._frames(measurement)
            self.results.extend(rows, flush=False)
            self.generations.extend(made, flush=False)
        self.results.extend(self._data_frame(), flush=False)
        self.results.flush()
        self.generations.flush()
        logs, poison, models = [], [], []
        for entry in self.plan.lineage:
            models.append({**entry, "path": str(self.cache.path(entry["node"]) / "model")})
            log = pd.read_parquet(self.cache.path(entry["node"]) / "train_log.parquet")
            logs.append(log.assign(point=entry["point"], condition=entry["condition"], seed=entry["seed"],
                                   stage=entry["stage"]))
            data = self.cache.path(self.plan.nodes[entry["node"]].inputs["data"]) / "poison.json"
            report = json.loads(data.read_text())
            if report:
                poison.append({k: entry[k] for k in ("point", "seed", "condition", "stage")} | report)
        train = TableWriter(self.run_dir / "train_log.parquet", ["point", "condition", "seed", "stage", "step",
                                                                   "loss", "tokens", *STAGE_LOG_FIGURES])
        # a log cached before tokens were counted has no tokens column, and only some stages log the figures of
        # STAGE_LOG_FIGURES: NaN there
        train.extend(pd.concat(logs, ignore_index=True).reindex(columns=train.columns) if logs
                     else pd.DataFrame(columns=train.columns))
        atomic_write_bytes(self.run_dir / "poison.json", json.dumps(poison, indent=1).encode())
        atomic_write_bytes(self.run_dir / "models.json", json.dumps(models, indent=1).encode())
        return self.results.frame()


def run_study(study: Study, out: Path | None = None, cache: Cache | Path | str | None = None,
              progress: StudyProgress | None = None) -> RunOutcome:
    """Run ``study`` into a run dir (resuming there if it holds the same spec); returns its results."""
    if study.search is not None:
        raise PharmakonError("search: this study searches its designs in two phases; run it with "
                             "pharmakon.engine.search.run_spec (as pharmakon run does)")
    started_at, tick = datetime.now().isoformat(timespec="seconds"), time.perf_counter()
    cache = cache if isinstance(cache, Cache) else Cache(cache)
    progress = progress or StudyProgress()
    plan = plan_study(study)
    run_dir = choose_run_dir(study, out)
    check_writable(run_dir, "out")  # before the first node: a fault of the file system is one line, not a trace
    cache.check_writable()
    nodes = list(plan.nodes.values())
    pending = [node for node in nodes if not cache.complete(node.key)]
    cached = len(nodes) - len(pending)
    progress.start(len(nodes), cached)
    computed = 0

    def started(node: Node) -> None:
        progress.node_started(node.label)

    def done(node: Node, status: str, seconds: float) -> None:
        nonlocal computed
        computed += status == "computed"
        progress.node_done(node.label if status == "computed" else f"{node.label} (cached)", seconds)
        if writer is not None:
            writer.add(node.key)

    writer = None
    preflight(pending, cache, started, done)  # bad data fails here
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(run_dir / "spec.yaml", spec_yaml(study).encode())
    meta = {"study": study.name, "started": started_at, "axes": plan.axes, "executor": study.executor.kind,
            "cache": str(cache.root), "environment": environment(),
            "nodes": {"total": len(nodes), "cached": cached}}
    atomic_write_bytes(run_dir / "run.json", json.dumps(meta, indent=1).encode())
    atomic_write_bytes(run_dir / "plan.json", json.dumps(
        [{"key": n.key, "kind": n.kind, "label": n.label, "inputs": n.inputs} for n in nodes], indent=1).encode())
    writer = RunWriter(plan, cache, run_dir)
    for key in {m.node for m in plan.measurements}:
        if cache.complete(key):
            writer.add(key)
    try:
        execute([n for n in pending if not is_preflight(n)], cache, compute_node, study.executor.kind, started, done,
                study.executor.address)
    finally:
        progress.stop()
    results = writer.finish()
    seconds = time.perf_counter() - tick
    meta.update(finished=datetime.now().isoformat(timespec="seconds"), seconds=round(seconds, 2),
                nodes={"total": len(nodes), "cached": cached, "computed": computed})
    atomic_write_bytes(run_dir / "run.json", json.dumps(meta, indent=1).encode())
    atomic_write_bytes(run_dir / "run.log", ("\n".join(progress.lines) + "\n").encode())
    build_report(run_dir)
    return RunOutcome(run_dir, results, len(nodes), cached, computed, seconds)
