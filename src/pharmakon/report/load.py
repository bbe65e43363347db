"""Read a run dir for the report: results, generations, the resolved spec and the run's metadata. Every file may
be missing or partial (an old or interrupted run); what is absent reads as empty."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from pharmakon.report.aggregate import lifecycle_order


@dataclass
class Run:
    """One run dir, read."""

    path: Path
    results: pd.DataFrame
    generations: pd.DataFrame
    spec: dict
    spec_text: str
    meta: dict
    axes: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        if self.spec.get("name"):
            return str(self.spec["name"])
        if "study" in self.results.columns and len(self.results):
            return str(self.results["study"].iloc[0])
        return self.path.name

    @property
    def description(self) -> str:
        return str(self.spec.get("description") or "")


def _parquet(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.exists() else pd.DataFrame()


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def _mapping(text: str, parse) -> dict:
    try:
        value = parse(text) if text.strip() else {}
    except (ValueError, yaml.YAMLError):
        return {}
    return value if isinstance(value, dict) else {}


def pipeline_names(spec: dict) -> list[str]:
    """Stage names in pipeline order, from the spec's ``pipeline`` (or the older ``stages``) list."""
    stages = spec.get("pipeline") or spec.get("stages") or []
    if isinstance(stages, dict):
        return [str(k) for k in stages]
    names = []
    for stage in stages if isinstance(stages, list) else []:
        if isinstance(stage, dict):
            name = stage.get("name") or stage.get("kind")
            if name:
                names.append(str(name))
        elif isinstance(stage, str):
            names.append(stage)
    return names


def _axes(meta: dict, results: pd.DataFrame) -> list[str]:
    axes = meta.get("axes")
    if not isinstance(axes, list):
        return []
    return [str(a) for a in axes if str(a) in results.columns]


def load_run(run_dir: Path) -> Run:
    """Read ``run_dir``: results.parquet, generations.parquet, spec.yaml and run.json, each optional."""
    run_dir = Path(run_dir)
    results = _parquet(run_dir / "results.parquet")
    generations = _parquet(run_dir / "generations.parquet")
    spec_text = _text(run_dir / "spec.yaml")
    spec = _mapping(spec_text, yaml.safe_load)
    meta = _mapping(_text(run_dir / "run.json"), json.loads)
    observed = list(results["after_stage"]) if "after_stage" in results.columns else []
    observed += list(generations["after_stage"]) if "after_stage" in generations.columns else []
    stages = lifecycle_order([str(s) for s in observed], pipeline_names(spec))
    return Run(run_dir, results, generations, spec, spec_text, meta, _axes(meta, results), stages)
