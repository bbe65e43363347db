"""Result rows read off a stage's data: how much poison a vector let in and what the cleaning pipeline removed.

A data node's report (``poison.json``) holds the vector's counts (offered → inserted → surviving cleaning) and
each defence's score against the poison mask. They become rows of the results table like any probe's, under
probe ``vector`` and ``cleaning``, with Wilson intervals on every rate, so the paper's *undetected insertion rate*
sits in the same table as the attack success of the model trained on what survived.
"""

from __future__ import annotations

from pharmakon.probes.stats import wilson_interval


def rate_row(probe: str, metric: str, hits: int, n: int) -> dict:
    low, high = wilson_interval(hits, n)
    return {"probe": probe, "metric": metric, "value": hits / n, "n": n, "ci_low": low, "ci_high": high}


def count_row(probe: str, metric: str, value: int) -> dict:
    return {"probe": probe, "metric": metric, "value": float(value), "n": 1, "ci_low": float(value),
            "ci_high": float(value)}


def vector_rows(vector: dict) -> list[dict]:
    """Offered, inserted and surviving counts; insertion, undetected-insertion and clean-loss rates."""
    offered = int(vector["offered"])
    rows = [count_row("vector", "offered", offered), count_row("vector", "inserted", vector["inserted"])]
    if offered:
        rows.append(rate_row("vector", "insertion_rate", int(vector["inserted"]), offered))
    if "surviving" in vector:
        rows.append(count_row("vector", "surviving", vector["surviving"]))
        if offered:
            rows.append(rate_row("vector", "undetected_insertion_rate", int(vector["surviving"]), offered))
    if vector["clean_offered"]:
        rows.append(rate_row("vector", "clean_lost_rate", int(vector["clean_lost"]), int(vector["clean_offered"])))
    return rows


def cleaning_rows(steps: list[dict]) -> list[dict]:
    """Per defence (and ``overall``): recall of the poison, precision of the drops, share of clean records lost."""
    rows = []
    for step in steps:
        name, n_clean = step["step"], int(step["n"]) - int(step["n_poison"])
        if step["n_poison"]:
            rows.append(rate_row("cleaning", f"{name}_recall", int(step["poison_dropped"]), int(step["n_poison"])))
        if step["dropped"]:
            rows.append(rate_row("cleaning", f"{name}_precision", int(step["poison_dropped"]), int(step["dropped"])))
        if n_clean:
            rows.append(rate_row("cleaning", f"{name}_clean_lost", int(step["clean_lost"]), n_clean))
        rows.append(count_row("cleaning", f"{name}_poison_kept", int(step["poison_kept"])))
    return rows


def data_rows(report: dict | None) -> list[dict]:
    """Every row a data node's report gives (none for plain poison without a vector or cleaning)."""
    if not report:
        return []
    rows = vector_rows(report["vector"]) if "vector" in report else []
    return rows + cleaning_rows(report.get("cleaning", []))
