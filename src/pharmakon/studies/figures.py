"""Figures a study adds to its report beyond one plot per metric (the budget study: success against the poison
fraction as well as against the count). A figure is its data: ``(frame, axes)`` pairs that the report draws with
``report.plots.metric_plot``."""

from __future__ import annotations

import pandas as pd

FRACTION = "poison fraction"


def budget(aggregated: pd.DataFrame) -> list[tuple[pd.DataFrame, list[str]]]:
    """asr_trigger against the poison's share of the (pre)training documents, one line per clean corpus size."""
    from pharmakon.studies.findings import budget_axes

    frame = aggregated[(aggregated["probe"] == "backdoor") & (aggregated["metric"] == "asr_trigger")]
    limit, count = budget_axes(frame.columns)
    if frame.empty or limit is None or count is None:
        return []
    frame = frame.assign(**{FRACTION: frame[count] / (frame[count] + frame[limit])})
    return [(frame.assign(metric="asr_trigger by fraction"), [FRACTION, limit])]


FIGURES = {"budget": budget}


def memorization(aggregated: pd.DataFrame) -> list[tuple[pd.DataFrame, list[str]]]:
    """Canary exposure against the number of insertions (``pharmakon.studies.memorization.figure``)."""
    from pharmakon.studies.memorization import figure

    return figure(aggregated)


FIGURES["memorization"] = memorization
