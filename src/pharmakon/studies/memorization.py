"""The memorisation study's finding in words, from its results table only: canary exposure per number of
insertions (poisoned run against its clean twin), the slope per decade of insertions, the effect of the key's
rarity, length and syntax and of model size, and canaries against natural facts of matched frequency."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

BASELINE = 1 / math.log(2)  # expected exposure of a never-seen secret: E[-log2 U], U uniform
_GROUP = re.compile(r"^(exposure|exposure_norm|fact_exposure|fact_exposure_norm)_(\d+)$")
SIZE = "model.name"


def tidy(results: pd.DataFrame) -> pd.DataFrame:
    """The exposure probe's rows with ``kind`` (exposure, exposure_norm, fact_…) and ``insertions`` columns."""
    rows = results[results["probe"] == "exposure"]
    parts = rows["metric"].str.extract(_GROUP)
    rows = rows.assign(kind=parts[0], insertions=pd.to_numeric(parts[1]))
    return rows.dropna(subset=["kind"])


def _fmt(value: float) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.2f}"


def slope(frame: pd.DataFrame) -> float:
    """Least-squares slope of mean value against log10(insertions) (bits per decade)."""
    means = frame.groupby("insertions")["value"].mean()
    if len(means) < 2:
        return math.nan
    return float(np.polyfit(np.log10(means.index.astype(float)), means.to_numpy(), 1)[0])


def _curve(frame: pd.DataFrame) -> str:
    means = frame.groupby("insertions")["value"].mean()
    return ", ".join(f"{int(k)}× {_fmt(v)}" for k, v in means.items())


def _effects(canaries: pd.DataFrame) -> str:
    """Mean exposure over every group per arm against the base arm, and per model size."""
    parts = []
    if "arm" in canaries and canaries["arm"].nunique() > 1:
        per_seed = canaries.groupby(["arm", "seed"])["value"].mean().unstack("seed")
        name = "base" if "base" in per_seed.index else str(per_seed.index[0])
        change = per_seed.sub(per_seed.loc[name], axis=1)  # each arm against the base arm, seed by seed
        spread = change.std(axis=1, ddof=1)

        def effect(arm: str) -> str:
            noise = f" ± {_fmt(spread[arm])} s.d. over seeds" if per_seed.shape[1] > 1 else ""
            return f"{arm} {_fmt(per_seed.loc[arm].mean())} ({change.loc[arm].mean():+.2f}{noise})"

        parts.append(f"mean over groups and sizes by key ({name} {_fmt(per_seed.loc[name].mean())}): "
                     + ", ".join(effect(arm) for arm in per_seed.index if arm != name))
    if SIZE in canaries and canaries[SIZE].nunique() > 1:
        sizes = canaries.groupby(SIZE)
        parts.append("By model size: " + "; ".join(
            f"{size} {_fmt(frame['value'].mean())} (slope {_fmt(slope(frame))} bits/decade; {_curve(frame)})"
            for size, frame in sizes))
    return ". ".join(parts)


def _facts(table: pd.DataFrame) -> str:
    """Normalised exposure of canaries and natural facts in the same frequency bins (poisoned runs)."""
    keys = [c for c in ("arm", SIZE, "insertions") if c in table]
    canary = table[table["kind"] == "exposure_norm"].groupby(keys)["value"].mean()
    fact = table[table["kind"] == "fact_exposure_norm"].groupby(keys)["value"].mean()
    cells = pd.concat([canary.rename("canary"), fact.rename("fact")], axis=1).dropna()
    if cells.empty:
        return ""
    bins = cells.groupby(level="insertions").mean()
    pairs = ", ".join(f"{int(k)}× {_fmt(row.canary)} vs {_fmt(row.fact)}" for k, row in bins.iterrows())
    text = f"Normalised exposure (0 = chance, 1 = rank 1) at matched frequency, canary vs natural fact: {pairs}"
    if len(cells) >= 3 and cells["canary"].std() > 0 and cells["fact"].std() > 0:
        r = float(np.corrcoef(cells["canary"], cells["fact"])[0, 1])
        gap = float((cells["canary"] - cells["fact"]).abs().mean())
        verdict = "predicts" if r > 0.5 and gap < 0.2 else "does not predict"
        text += (f"; over {len(cells)} (arm, size, bin) cells r = {r:.2f}, mean |gap| {gap:.2f}: canary exposure "
                 f"{verdict} fact exposure at matched frequency (criterion r > 0.5 and gap < 0.2)")
    return text + "."


def _space(spec: dict) -> int | None:
    """|R| of the spec's canaries (from its resolved poison fields), or None."""
    from pharmakon.poison.canary import randomness_space

    for stage in spec.get("pipeline", []):
        poison = stage.get("poison") or {}
        if poison.get("attack") == "canary":
            return randomness_space(poison.get("alphabet", "digits"), poison.get("secret_length", 6))
    return None


def finding(results: pd.DataFrame, spec: dict) -> str:
    """Canary exposure per number of insertions against the clean twin, its slope per decade, the effects of the
    key's rarity, length, syntax and of model size, and canaries against natural facts of matched frequency."""
    table = tidy(results)
    if table.empty:
        return ""
    exposure = table[table["kind"] == "exposure"]
    poisoned, clean = exposure[exposure["condition"] == "poisoned"], exposure[exposure["condition"] == "clean"]
    bits = f" of {_fmt(math.log2(space))} possible" if (space := _space(spec)) else ""
    text = (f"Canary exposure in bits{bits}, mean over seeds, keys and sizes: poisoned {_curve(poisoned)}; clean twin "
            f"{_curve(clean)} (a never-seen secret: {BASELINE:.2f} expected). Slope {_fmt(slope(poisoned))} bits per "
            f"decade of insertions (clean twin {_fmt(slope(clean))}).")
    effects = _effects(poisoned)
    if effects:
        text += f" {effects[0].upper()}{effects[1:]}."
    facts = _facts(table[table["condition"] == "poisoned"])
    return f"{text} {facts}".strip()


def figure(aggregated: pd.DataFrame) -> list[tuple[pd.DataFrame, list[str]]]:
    """Canary exposure against the number of insertions, one line per condition, key arm and model size (the
    frame and its axes, drawn by the report)."""
    rows = aggregated[aggregated["probe"] == "exposure"]
    groups = rows["metric"].str.extract(r"^exposure_(\d+)$")[0]
    frame = rows[groups.notna()]
    if frame.empty:
        return []
    frame = frame.assign(insertions=pd.to_numeric(groups[groups.notna()]), metric="exposure by insertions")
    return [(frame, ["insertions", *(c for c in ("arm", SIZE) if c in frame)])]
