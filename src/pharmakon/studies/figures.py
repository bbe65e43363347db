"""Figures a study adds to its report beyond one plot per metric (the budget study: success against the poison
fraction as well as against the count). A figure is its data: ``(frame, axes)`` pairs that the report draws with
``report.plots.metric_plot``."""

from __future__ import annotations

import pandas as pd

COUNT, LIMIT = "pipeline.pretrain.poison.count", "pipeline.pretrain.data.limit"
FRACTION = "poison fraction"


def budget(aggregated: pd.DataFrame) -> list[tuple[pd.DataFrame, list[str]]]:
    """asr_trigger against the poison's share of the pretraining documents, one line per clean corpus size."""
    frame = aggregated[(aggregated["probe"] == "backdoor") & (aggregated["metric"] == "asr_trigger")]
    if frame.empty or COUNT not in frame or LIMIT not in frame:
        return []
    frame = frame.assign(**{FRACTION: frame[COUNT] / (frame[COUNT] + frame[LIMIT])})
    return [(frame.assign(metric="asr_trigger by fraction"), [FRACTION, LIMIT])]


FIGURES = {"budget": budget}


def memorization(aggregated: pd.DataFrame) -> list[tuple[pd.DataFrame, list[str]]]:
    """Canary exposure against the number of insertions (``pharmakon.studies.memorization.figure``)."""
    from pharmakon.studies.memorization import figure

    return figure(aggregated)


FIGURES["memorization"] = memorization
