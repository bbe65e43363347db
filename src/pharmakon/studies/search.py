"""A design search's selection, computed from a results table: the arm of each group whose effect (poisoned minus
its clean twin, one metric after one stage, mean over seeds) is highest, and the successive-halving rounds.

Arms are grouped by the part of their name before ``/`` (``dos/chat-end`` is in group ``dos``; an arm without
``/`` is in the group ``""``). Selection reads only the seeds it is given, so a study can select on some seeds and
report on others: a design chosen for being best on its seeds is biased upwards there, not on fresh ones.
"""

from __future__ import annotations

import math

import pandas as pd

GROUP = "/"


def group_of(arm: str) -> str:
    return arm.split(GROUP, 1)[0] if GROUP in arm else ""


def baseline_of(group: str, baseline: str) -> str:
    """The baseline arm of ``group`` (``dos`` + ``naive`` → ``dos/naive``)."""
    return f"{group}{GROUP}{baseline}" if group else baseline


def effects(results: pd.DataFrame, *, probe: str, metric: str, after: str, seeds: list[int]) -> pd.DataFrame:
    """Per arm and seed: ``effect`` = the poisoned value minus the clean twin's, after ``after``."""
    rows = results[(results["probe"] == probe) & (results["metric"] == metric) & (results["after_stage"] == after)
                   & results["seed"].isin(seeds) & (results["adaptation"] == "plain")]
    if rows.empty or "arm" not in rows:
        return pd.DataFrame(columns=["arm", "seed", "poisoned", "clean", "effect"])
    table = rows.pivot_table(index=["arm", "seed"], columns="condition", values="value", aggfunc="mean")
    if "clean" not in table:
        table["clean"] = 0.0
    table = table.reset_index()
    table["effect"] = table["poisoned"] - table["clean"]
    return table[["arm", "seed", "poisoned", "clean", "effect"]]


def ranking(table: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Arms with their mean effect, best first within each group; a tie goes to the baseline, then by name."""
    means = table.groupby("arm", as_index=False)["effect"].mean()
    means["group"] = means["arm"].map(group_of)
    means["is_baseline"] = means.apply(lambda r: r["arm"] == baseline_of(r["group"], baseline), axis=1)
    return means.sort_values(["group", "effect", "is_baseline", "arm"], ascending=[True, False, False, True],
                             ignore_index=True)


def select(table: pd.DataFrame, baseline: str) -> dict[str, str]:
    """Group → its best arm by mean effect."""
    ranked = ranking(table, baseline)
    return {group: frame["arm"].iloc[0] for group, frame in ranked.groupby("group", sort=True)}


def halving_keep(table: pd.DataFrame, baseline: str, eta: int = 2) -> list[str]:
    """Successive halving's survivors: the best ``ceil(n / eta)`` arms of each group on the seeds so far."""
    ranked = ranking(table, baseline)
    keep: list[str] = []
    for _, frame in ranked.groupby("group", sort=True):
        keep += list(frame["arm"].iloc[: max(1, math.ceil(len(frame) / eta))])
    return keep
