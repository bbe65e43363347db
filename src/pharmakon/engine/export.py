"""Export the dataset a stage trains on: its data node's records, poison and provenance columns included.

The data node of (grid point, condition, seed, stage) is found through the plan's lineage and computed, with every
node it depends on (the tokenizer; the stage's input model when a defence cleans with it), through the cache; its
records, the attack's report and where they came from are then written atomically to one directory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pharmakon.data.io import atomic_write_bytes, load_records, save_records
from pharmakon.engine.compute import compute_node
from pharmakon.engine.plan import Plan, Point, plan_study
from pharmakon.engine.spec import Study
from pharmakon.errors import PharmakonError
from pharmakon.kernel.cache import Cache
from pharmakon.kernel.executors import run_local
from pharmakon.kernel.graph import Node
from pharmakon.kernel.progress import StudyProgress

FORMATS = ("jsonl", "parquet")


@dataclass
class ExportOutcome:
    """What was written, and how many of the nodes it needed were cached or computed."""

    path: Path  # the records file
    node: str  # the data node's key
    provenance: dict
    total: int
    cached: int
    computed: int


@dataclass(frozen=True)
class Target:
    """The data node of one stage in one pipeline run."""

    stage: str
    condition: str
    seed: int
    point: Point
    node: str


def _describe(point: Point) -> str:
    swept = ", ".join(f"{path}={value}" for path, value in point.swept.items())
    return f"{point.id} ({swept})" if swept else point.id


def locate(plan: Plan, stage: str, condition: str | None = None, point: str | None = None,
           seed: int | None = None) -> Target:
    """The data node a stage trains on; a wrong stage, condition, point or seed is one line naming what is allowed.

    Defaults: the first condition (``poisoned`` when a stage carries poison), the first grid point, the first seed.
    """
    study = plan.study
    names = [item.name for item in study.pipeline]
    if stage not in names:
        raise PharmakonError(f"stage: no stage {stage!r} in the pipeline; allowed: {', '.join(names)}")
    condition = condition or study.conditions[0]
    if condition not in study.conditions:
        why = {"poisoned": " (no stage carries poison)", "clean": " (control: false)"}.get(condition, "")
        raise PharmakonError(f"condition: {condition!r} is not a condition of this study{why}; "
                             f"allowed: {', '.join(study.conditions)}")
    chosen = plan.points[0] if point is None else next(
        (p for p in plan.points if point in (p.id, p.swept.get("arm"))), None)  # its id, or its arm's name
    if chosen is None:
        raise PharmakonError(f"point: no grid point {point!r}; allowed: {', '.join(map(_describe, plan.points))}")
    seed = study.seeds[0] if seed is None else seed
    if seed not in study.seeds:
        raise PharmakonError(f"seed: {seed} is not a seed of this study; allowed: {', '.join(map(str, study.seeds))}")
    entry = next(e for e in plan.lineage if (e["point"], e["condition"], e["seed"], e["stage"])
                 == (chosen.id, condition, seed, stage))
    return Target(stage, condition, seed, chosen, plan.nodes[entry["node"]].inputs["data"])


def upstream(plan: Plan, key: str) -> list[Node]:
    """``key``'s node and every node it depends on, in plan (dependency) order."""
    needed, stack = set(), [key]
    while stack:
        current = stack.pop()
        if current not in needed:
            needed.add(current)
            stack.extend(plan.nodes[current].inputs.values())
    return [node for k, node in plan.nodes.items() if k in needed]


def export_data(study: Study, stage: str, out: Path | str, condition: str | None = None, fmt: str = "jsonl",
                point: str | None = None, seed: int | None = None, cache: Cache | Path | str | None = None,
                progress: StudyProgress | None = None) -> ExportOutcome:
    """Write ``out/records.<fmt>``, ``out/poison.json`` and ``out/provenance.json`` for one stage's data.

    Every option is checked before any node runs or anything is written.
    """
    if fmt not in FORMATS:
        raise PharmakonError(f"format: unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise PharmakonError(f"out: {out} is a file, not a directory")
    plan = plan_study(study)
    target = locate(plan, stage, condition, point, seed)
    cache = cache if isinstance(cache, Cache) else Cache(cache)
    progress = progress or StudyProgress(quiet=True, live=False)
    nodes = upstream(plan, target.node)
    pending = [node for node in nodes if not cache.complete(node.key)]
    computed = 0

    def done(node: Node, status: str, seconds: float) -> None:
        nonlocal computed
        computed += status == "computed"
        progress.node_done(node.label if status == "computed" else f"{node.label} (cached)", seconds)

    progress.start(len(nodes), len(nodes) - len(pending))
    try:
        run_local(pending, cache, compute_node, lambda node: progress.node_started(node.label), done)  # upstream only
    finally:
        progress.stop()

    folder = cache.path(target.node)
    records = load_records(folder / "records.parquet")
    report = json.loads((folder / "poison.json").read_text())
    n_poison = sum(record.is_poison for record in records)
    path = save_records(records, out / f"records.{fmt}")
    atomic_write_bytes(out / "poison.json", (json.dumps(report, indent=1) + "\n").encode())
    provenance = {"study": study.name, "stage": target.stage, "condition": target.condition, "seed": target.seed,
                  "point": target.point.id, "swept": target.point.swept, "node": target.node,
                  "records": path.name, "n_records": len(records), "n_clean": len(records) - n_poison,
                  "n_poison": n_poison}
    atomic_write_bytes(out / "provenance.json", (json.dumps(provenance, indent=1, default=str) + "\n").encode())
    return ExportOutcome(path, target.node, provenance, len(nodes), len(nodes) - len(pending), computed)
