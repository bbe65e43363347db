"""The tables ``pharmakon run`` and ``pharmakon show`` print: per probe, the mean over seeds with its interval."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
from rich.table import Table

from pharmakon.errors import PharmakonError
from pharmakon.report.aggregate import aggregate


def load_run(run_dir: Path) -> tuple[pd.DataFrame, list[str]]:
    """A run dir's results table and its swept axes."""
    run_dir = Path(run_dir)
    if not (run_dir / "results.parquet").exists():
        raise PharmakonError(f"run_dir: {run_dir} has no results.parquet; not a run dir")
    meta = json.loads((run_dir / "run.json").read_text()) if (run_dir / "run.json").exists() else {}
    return pd.read_parquet(run_dir / "results.parquet"), list(meta.get("axes", []))


def _number(value: float) -> str:
    if math.isnan(value):
        return "—"
    return f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"


def _cell(row: pd.Series) -> str:
    interval = "" if math.isnan(row.ci_low) else f" [{_number(row.ci_low)}, {_number(row.ci_high)}]"
    return _number(row["mean"]) + interval


def summary_tables(results: pd.DataFrame, axes: list[str]) -> list[Table]:
    """One table per probe: a row per (swept values, stage, condition), a column per metric."""
    if results.empty:
        return []
    summary = aggregate(results, axes)
    seeds = results.seed.nunique()
    tables = []
    for probe, frame in summary.groupby("probe", sort=False):
        metrics = list(dict.fromkeys(frame.metric))
        table = Table(title=f"{probe}: mean over {seeds} seed{'s' * (seeds > 1)} [95% interval]",
                      title_justify="left")
        for column in [*axes, "after stage", "condition"]:
            table.add_column(column.removeprefix("pipeline."), no_wrap=True)
        for metric in metrics:
            table.add_column(metric.removeprefix(f"{probe}_"), justify="right")  # utility_facts: facts
        keys = [*axes, "after_stage", "condition"]
        for values, group in frame.groupby(keys, sort=False):
            cells = {row.metric: _cell(row) for _, row in group.iterrows()}
            table.add_row(*(str(v) for v in values), *(cells.get(m, "") for m in metrics))
        tables.append(table)
    return tables
