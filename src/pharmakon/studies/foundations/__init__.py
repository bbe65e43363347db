"""Foundations: the clean pretrained organism for a (world, model, seed), as data.

A foundation names a world, a model and a pretraining recipe. A spec that says ``foundation: organism`` gets
them filled in where it does not set them itself (its own fields win), so every study that starts from the same
foundation has the same tokenizer, data and pretraining nodes: the content-addressed cache pretrains once per
seed and every later study reuses it (``pharmakon run --dry-run`` shows it cached). A study whose poison enters
in pretraining keeps the foundation's recipe and adds its poison: its clean twin is the foundation itself.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from pharmakon.errors import PharmakonError

PACKAGE = "pharmakon.studies.foundations"
FIELDS = ("world", "model", "pretrain")


def foundations() -> dict[str, Path]:
    """Built-in foundations: name → YAML file inside the package."""
    folder = resources.files(PACKAGE)
    return {Path(entry.name).stem: Path(str(entry)) for entry in folder.iterdir() if entry.name.endswith(".yaml")}


def foundation_config(name: str) -> dict[str, Any]:
    """The world, model and pretraining recipe of foundation ``name``."""
    found = foundations()
    if name not in found:
        raise PharmakonError(f"foundation: unknown foundation {name!r}; allowed: {', '.join(sorted(found))}")
    data = yaml.safe_load(found[name].read_text())
    return {key: dict(data.get(key) or {}) for key in FIELDS}


def apply_foundation(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with its foundation's world, model and pretraining recipe filled in under its own fields (a model
    the spec names is taken whole).

    The pretraining stage is the pipeline's first ``pretrain`` stage, or, when there is none, a ``pretrain``
    stage put first. Applying it twice changes nothing (a resolved spec keeps its ``foundation`` name).
    """
    name = data.get("foundation")
    if name is None:
        return data
    if not isinstance(name, str):
        raise PharmakonError(f"foundation: expected a name, got {name!r}; allowed: {', '.join(sorted(foundations()))}")
    base = foundation_config(name)
    out = dict(data)
    for key in ("world", "model"):
        own = out.get(key) or {}
        if not isinstance(own, dict):
            raise PharmakonError(f"{key}: expected a mapping, got {own!r}")
        # a spec that names its own model (a shipped foundation checkpoint, another size) takes it whole
        named = key == "model" and ("name" in own or "path" in own)
        out[key] = dict(own) if named else {**base[key], **own}
    pipeline = list(out.get("pipeline") or [])
    at = next((i for i, s in enumerate(pipeline) if isinstance(s, dict) and s.get("kind") == "pretrain"), None)
    if at is None:
        pipeline.insert(0, {"kind": "pretrain", **base["pretrain"]})
    else:
        pipeline[at] = {**base["pretrain"], **pipeline[at]}
    out["pipeline"] = pipeline
    return out
