"""A few sample generations per stage, probe variant and condition, conditions side by side on the same prompt,
so a figure can be checked against what the model wrote."""

from __future__ import annotations

import math
from html import escape

import numpy as np
import pandas as pd

from pharmakon.report.aggregate import CONDITION_ORDER

PER_CELL = 3
MAX_CHARS = 240
NEEDED = ("condition", "after_stage", "probe", "variant", "prompt", "output")


def _clip(text: str) -> str:
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"


def _cell(text, css: str = "") -> str:
    text = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
    title = f' title="{escape(text)}"' if len(text) > MAX_CHARS else ""
    klass = f' class="{css}"' if css else ""
    return f"<td{klass}{title}>{escape(_clip(text))}</td>"


def verdict_cell(verdict) -> str:
    """A judge's verdict: yes / no for booleans, the value itself otherwise, blank where there is none."""
    if verdict is None or (isinstance(verdict, float) and math.isnan(verdict)):
        return '<td class="verdict"></td>'
    if isinstance(verdict, bool | np.bool_):
        return f'<td class="verdict {"yes" if verdict else "no"}">{"yes" if verdict else "no"}</td>'
    return f'<td class="verdict">{escape(str(verdict))}</td>'


def _reference(frame: pd.DataFrame) -> pd.DataFrame:
    """Samples come from one grid point and one seed (the first), so the conditions share their prompts."""
    for column in ("point", "seed"):
        if column in frame.columns and len(frame):
            frame = frame[frame[column] == frame[column].iloc[0]]
    return frame


def _conditions(frame: pd.DataFrame) -> list[str]:
    seen = list(dict.fromkeys(frame["condition"].astype(str)))
    return [c for c in CONDITION_ORDER if c in seen] + [c for c in seen if c not in CONDITION_ORDER]


def _rows(block: pd.DataFrame, conditions: list[str]) -> list[list[pd.Series | None]]:
    """Up to PER_CELL rows; each lists one generation per condition, matched on the prompt where possible."""
    by_condition = {c: block[block["condition"].astype(str) == c] for c in conditions}
    lead = next(frame for frame in by_condition.values() if len(frame))
    rows = []
    for i, (_, first) in enumerate(lead.head(PER_CELL).iterrows()):
        row: list[pd.Series | None] = []
        for condition in conditions:
            frame = by_condition[condition]
            same = frame[frame["prompt"] == first["prompt"]]
            pick = same if len(same) else frame.iloc[i : i + 1]
            row.append(pick.iloc[0] if len(pick) else None)
        rows.append(row)
    return rows


def samples_table(frame: pd.DataFrame, stages: list[str]) -> str:
    """The HTML table of one probe's samples: rows by stage and variant, a column pair per condition."""
    conditions = _conditions(frame)
    head = "".join(f'<th class="out">{escape(c)} output</th><th class="verdict">verdict</th>' for c in conditions)
    body = []
    has_adaptation = "adaptation" in frame.columns and frame["adaptation"].nunique() > 1
    keys = ["after_stage", *(["adaptation"] if has_adaptation else []), "variant"]
    order = {s: i for i, s in enumerate(stages)}
    blocks = sorted(frame.groupby(keys, sort=False, dropna=False), key=lambda kv: order.get(kv[0][0], len(order)))
    previous = None
    for key, block in blocks:
        stage, variant = key[0], " · ".join(str(k) for k in key[1:])
        for j, row in enumerate(_rows(block, conditions)):
            first = next(r for r in row if r is not None)
            css = ' class="stage-start"' if stage != previous and j == 0 else ""
            label = escape(str(stage)) if stage != previous else ""
            previous = stage
            cells = [f"<td>{label}</td>", _cell(variant if j == 0 else ""), _cell(first["prompt"], "text")]
            for generation in row:
                if generation is None:
                    cells += ['<td class="text missing">—</td>', '<td class="verdict"></td>']
                else:
                    cells += [_cell(generation["output"], "text"), verdict_cell(generation.get("verdict"))]
            body.append(f"<tr{css}>{''.join(cells)}</tr>")
    return (f'<table class="samples"><thead><tr><th class="stage">after stage</th><th class="variant">variant</th>'
            f'<th class="out">prompt</th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')


def samples_section(generations: pd.DataFrame, stages: list[str]) -> str:
    """Per probe, a few generations for every stage and variant, poisoned beside clean."""
    if generations.empty or any(c not in generations.columns for c in NEEDED):
        return "<p>No generations recorded.</p>"
    frame = _reference(generations)
    parts = []
    for probe, block in frame.groupby("probe", sort=False):
        parts.append(f"<h3>{escape(str(probe))}</h3>{samples_table(block, stages)}")
    return "".join(parts)
