"""One small PNG per probe metric, drawn with matplotlib's object API on the Agg canvas (no pyplot state, no
display): poisoned beside its clean control, with 95% interval bands."""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

from pharmakon.report.aggregate import CONDITION_ORDER

DPI = 90
MAX_COLUMNS = 4
CONDITION_STYLE = {"poisoned": ("Reds", "-"), "clean": ("Blues", "--")}
OTHER_STYLES = (("Greens", "-."), ("Purples", ":"), ("Oranges", "-."), ("Greys", ":"))
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
RC = {"font.size": 7.5, "axes.titlesize": 8, "figure.titlesize": 9, "legend.fontsize": 7, "axes.grid": True,
      "axes.grid.axis": "y", "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False}


@dataclass(frozen=True)
class Plot:
    """One embedded figure: what it shows and its PNG as a data URI."""

    probe: str
    metric: str
    uri: str
    width: int
    height: int


def _png(fig: Figure) -> tuple[str, int, int]:
    canvas = FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    canvas.print_png(buffer, metadata={"Software": None}, pil_kwargs={"compress_level": 1})
    width, height = (round(v) for v in fig.get_size_inches() * fig.dpi)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"), width, height


def _is_numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _label(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _series_keys(frame: pd.DataFrame, extra: list[str]) -> list[str]:
    """The columns besides condition that tell lines apart: further axes, and any key that varies."""
    varying = [k for k in ("adaptation", "study") if frame[k].nunique(dropna=False) > 1]
    return [*extra, *varying]


def _styles(lines: list[tuple]) -> dict[tuple, dict]:
    """Colour by condition (a shade per combination), dashes for the clean control, a marker per combination."""
    combos = list(dict.fromkeys(line[1:] for line in lines))
    conditions = list(dict.fromkeys(line[0] for line in lines))
    others = iter(OTHER_STYLES)
    styles = {}
    for condition in conditions:
        cmap_name, dash = CONDITION_STYLE.get(condition) or next(others, ("Greys", ":"))
        cmap = matplotlib.colormaps[cmap_name]
        mine = [c for c in combos if (condition, *c) in lines]
        for i, combo in enumerate(mine):
            shade = 0.75 if len(mine) == 1 else 0.45 + 0.5 * i / (len(mine) - 1)
            styles[(condition, *combo)] = {"color": cmap(shade), "linestyle": dash,
                                           "marker": MARKERS[combos.index(combo) % len(MARKERS)]}
    return styles


def _condition_rank(condition: str) -> int:
    return CONDITION_ORDER.index(condition) if condition in CONDITION_ORDER else len(CONDITION_ORDER)


def _line_label(line: tuple, keys: list[str]) -> str:
    parts = [str(line[0])] + [f"{k.rsplit('.', 1)[-1]}={_label(v)}" for k, v in zip(keys, line[1:], strict=True)]
    return " · ".join(parts)


def _rate_like(metric: str, frame: pd.DataFrame) -> bool:
    """A share in [0, 1] by its name and its means (its bands are then clipped to [0, 1])."""
    values = frame["mean"].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    named = (metric.startswith(("asr_", "rm_accuracy_")) or "_accuracy" in metric
             or (metric.startswith("utility_") and "ppl" not in metric))
    return named and values.size > 0 and values.min() >= 0 and values.max() <= 1


def _draw(ax, frame: pd.DataFrame, x: np.ndarray, style: dict, label: str, alpha: float = 0.15) -> None:
    order = np.argsort(x, kind="stable")
    x = x[order]
    ax.plot(x, frame["mean"].to_numpy(dtype=float)[order], label=label, linewidth=1.4, markersize=3.5, **style)
    low, high = frame["ci_low"].to_numpy(dtype=float)[order], frame["ci_high"].to_numpy(dtype=float)[order]
    if np.isfinite(low).any() and np.isfinite(high).any():
        ax.fill_between(x, low, high, color=style["color"], alpha=alpha, linewidth=0)


def _figure(panels: int, n_lines: int, wide_labels: bool, rotated: int) -> tuple[Figure, np.ndarray, int]:
    """A figure laid out by hand (constrained layout costs most of the drawing time): panels in a grid of at
    most MAX_COLUMNS, shared y, room below for the x labels (``rotated``: the longest slanted one's length)
    and the legend."""
    columns = min(panels, MAX_COLUMNS)
    rows = math.ceil(panels / columns)
    ncol = min(n_lines, 2 if wide_labels else 4)
    panel_w, panel_h = (2.3, 1.8) if panels > 1 else (3.5, 2.0)
    left, right, gap_w, top = 0.55, 0.15, 0.12, (0.45 if panels > 1 else 0.32)
    x_band = 0.42 + 0.035 * rotated
    legend = 0.2 * math.ceil(n_lines / max(ncol, 1)) + 0.05
    width = left + right + columns * panel_w + (columns - 1) * gap_w
    height = top + rows * panel_h + (rows - 1) * (x_band + 0.3) + x_band + legend
    fig = Figure(figsize=(width, height), dpi=DPI)
    fig.subplots_adjust(left=left / width, right=1 - right / width, top=1 - top / height,
                        bottom=(x_band + legend) / height, wspace=gap_w / panel_w, hspace=(x_band + 0.3) / panel_h)
    grid = fig.subplots(rows, columns, sharey=True, squeeze=False).ravel()
    for extra in grid[panels:]:
        extra.set_visible(False)
    return fig, grid, ncol


def _set_categories(ax, labels: list[str], rotated: int) -> None:
    ax.set_xticks(range(len(labels)), labels, rotation=30 if rotated else 0, ha="right" if rotated else "center",
                  rotation_mode="anchor")
    ax.set_xlim(-0.3, len(labels) - 0.7)


def _x_axis(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, list[str] | None, bool]:
    """x positions of the rows: numbers for a numeric axis (log scale when it spans 50×), else category indices."""
    values = frame[column]
    if _is_numeric(values):
        x = values.to_numpy(dtype=float)
        finite = x[np.isfinite(x)]
        return x, None, bool(finite.size and finite.min() > 0 and finite.max() / finite.min() >= 50)
    labels = values.map(_label)
    categories = list(dict.fromkeys(labels))
    return labels.map(categories.index).to_numpy(), categories, False


def metric_plot(frame: pd.DataFrame, axes: list[str], stages: list[str]) -> Plot:
    """The figure of one probe metric from its aggregate rows: x is the first swept axis with one panel per
    stage, or, with nothing swept, the lifecycle stage."""
    probe, metric = str(frame["probe"].iloc[0]), str(frame["metric"].iloc[0])
    keys = _series_keys(frame, axes[1:])
    frame = frame.assign(_line=[(c, *rest) for c, *rest in
                                frame[["condition", *keys]].itertuples(index=False, name=None)])
    rate = _rate_like(metric, frame)
    if rate:
        frame = frame.assign(ci_low=frame["ci_low"].clip(0, 1), ci_high=frame["ci_high"].clip(0, 1))
    lines = sorted(dict.fromkeys(frame["_line"]), key=lambda line: _condition_rank(line[0]))  # legend: by condition
    styles = _styles(lines)
    present = [s for s in stages if (frame["after_stage"] == s).any()]
    present += [s for s in dict.fromkeys(frame["after_stage"]) if s not in present]
    if axes:
        x_all, categories, log = _x_axis(frame, axes[0])
        panels, label = [(stage, (frame["after_stage"] == stage).to_numpy()) for stage in present], axes[0]
        if "|" in label:  # linked paths take one value: name the first, so panels' labels do not run together
            label = f"{label.split('|')[0]} (linked)"
    else:
        x_all, categories, log = frame["after_stage"].map(present.index).to_numpy(), present, False
        panels, label = [("", np.ones(len(frame), dtype=bool))], "after stage"
    longest = max(map(len, categories)) if categories else 0
    rotated = longest if categories and (len(categories) > 4 or longest * len(categories) > 40) else 0
    alpha = 0.15 if len(lines) <= 2 else 0.07
    with matplotlib.rc_context(RC):
        fig, grid, ncol = _figure(len(panels), len(lines), bool(keys), rotated)
        for ax, (title, where) in zip(grid, panels, strict=False):
            if title:
                ax.set_title(title, y=1.0, pad=3)  # a fixed position skips a costly overlap search
            ax.set_xlabel(label, fontsize=7)
            for line in lines:
                mask = where & (frame["_line"] == line).to_numpy()
                if mask.any():
                    _draw(ax, frame[mask], x_all[mask], styles[line], _line_label(line, keys), alpha)
            if log:
                ax.set_xscale("log")
                ax.xaxis.set_minor_locator(NullLocator())  # and plain numbers: mathtext labels are slow
                ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
            elif categories is not None:
                _set_categories(ax, categories, rotated)
        grid[0].yaxis.set_major_locator(MaxNLocator(5))  # fewer ticks: each costs drawing time
        if rate:
            grid[0].set_ylim(-0.04, 1.04)
        handles = {lab: h for ax in fig.axes for h, lab in zip(*ax.get_legend_handles_labels(), strict=True)}
        if handles:
            fig.legend(list(handles.values()), list(handles), loc="lower center", ncol=ncol, frameon=False,
                       borderaxespad=0.2)
        fig.suptitle(f"{probe} · {metric}")
        uri, width, height = _png(fig)
    return Plot(probe, metric, uri, width, height)


def metric_plots(aggregated: pd.DataFrame, axes: list[str], stages: list[str]) -> list[Plot]:
    """One plot per (probe, metric), in order of first appearance."""
    if aggregated.empty:
        return []
    groups = aggregated.groupby(["probe", "metric"], sort=False)
    return [metric_plot(frame, axes, stages) for _, frame in groups]
