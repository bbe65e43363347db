"""The table the quickstart prints: per stage, poisoned beside clean."""

from __future__ import annotations

import math

import pandas as pd
from rich.table import Table

BACKDOOR_METRICS = (("asr_trigger", "trigger"), ("asr_no_trigger", "no trigger"), ("asr_near_miss", "near-miss"),
                    ("ppl_gap", "ppl gap"))
UTILITY_METRICS = (("utility_sentiment", "sentiment"), ("utility_arithmetic", "arith"),
                   ("utility_facts", "facts"), ("utility_refusal", "refusal"),
                   ("utility_overrefusal", "over-ref"), ("utility_ppl", "ppl"))


def _cell(frame: pd.DataFrame, stage: str, metric: str) -> str:
    values = []
    for condition in ("poisoned", "clean"):
        hit = frame[(frame.after_stage == stage) & (frame.metric == metric) & (frame.condition == condition)]
        if hit.empty:
            continue
        value = float(hit.value.iloc[0])
        values.append("—" if math.isnan(value) else (f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"))
    return " / ".join(values)


def summary_tables(frame: pd.DataFrame) -> list[Table]:
    """Two tables (backdoor, utility); each cell is ``poisoned / clean``."""
    stages = list(dict.fromkeys(frame.after_stage))
    tables = []
    for title, metrics in (("backdoor: attack success, poisoned / clean", BACKDOOR_METRICS),
                           ("utility on held-out clean tasks, poisoned / clean", UTILITY_METRICS)):
        present = [(m, label) for m, label in metrics if (frame.metric == m).any()]
        if not present:
            continue
        table = Table(title=title, title_justify="left")
        table.add_column("after stage", no_wrap=True)
        for _, label in present:
            table.add_column(label, justify="right", no_wrap=True)
        for stage in stages:
            table.add_row(stage, *(_cell(frame, stage, m) for m, _ in present))
        tables.append(table)
    return tables
