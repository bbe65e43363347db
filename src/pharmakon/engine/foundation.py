"""Build a foundation checkpoint: the clean pretrained organism of a (world, model, seed), as a folder to ship.

``pharmakon foundation build organism --seed 0 --out DIR`` runs the foundation's pretraining through the engine
(a study with only that stage, so the cache shares the node with every study that starts from the foundation),
then copies the trained model and its tokenizer out of the cache into ``DIR`` (an HF directory with
safetensors), with ``manifest.json``: the foundation's world, model and recipe, the node's key, each file's
sha256, the exact command and the versions that produced it. A study then starts from it as a real model
(``model: {path: DIR}``, or the built-in ``organism-micro``), pretraining nothing.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from pharmakon.engine.load import load_study
from pharmakon.engine.nodes import MODEL_DIR
from pharmakon.engine.plan import plan_study
from pharmakon.errors import PharmakonError
from pharmakon.kernel.cache import Cache
from pharmakon.models.manifest import MANIFEST, file_hashes, verify_checkpoint
from pharmakon.studies.foundations import foundation_config

VERSIONED = ("pharmakon", "torch", "transformers", "tokenizers")


def foundation_study(name: str, seed: int, overrides: dict | None = None):
    """The study that builds foundation ``name`` for ``seed``: its pretraining stage alone, no probe."""
    return load_study({"name": f"foundation-{name}", "seeds": [seed], "foundation": name, "pipeline": [],
                       "probes": []}, overrides=overrides)


def build_foundation(name: str, seed: int, out: Path, cache: Cache | Path | str | None = None,
                     overrides: dict | None = None, command: str = "") -> Path:
    """Pretrain (or find in the cache) foundation ``name`` at ``seed`` and write it to ``out`` with its manifest."""
    from pharmakon.engine.run import run_study

    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise PharmakonError(f"--out: {out} exists and is not empty; give a new folder")
    cache = cache if isinstance(cache, Cache) else Cache(cache)
    study = foundation_study(name, seed, overrides)
    with tempfile.TemporaryDirectory(prefix="pharmakon-foundation-") as run_dir:
        run_study(study, out=Path(run_dir) / "run", cache=cache)
    node = next(row["node"] for row in plan_study(study).lineage if row["stage"] == "pretrain")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        for item in sorted((cache.path(node) / MODEL_DIR).iterdir()):
            if item.is_file():
                shutil.copy2(item, tmp / item.name)
        manifest = {
            "foundation": name, "seed": seed, "node": node,
            "world": study.world.model_dump(mode="json"), "model": study.model.model_dump(mode="json"),
            "pretrain": study.pipeline[0].model_dump(mode="json"),
            "recipe": foundation_config(name)["pretrain"] if not overrides else None,
            "files": file_hashes(tmp),
            "command": command or " ".join(["pharmakon", "foundation", "build", name, "--seed", str(seed)]),
            "versions": {package: _version(package) for package in VERSIONED} | {"python": platform.python_version()},
            "machine": platform.machine(),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        tmp.chmod(0o755)  # mkdtemp's 0700 would keep the shipped folder from other users
        for item in tmp.iterdir():
            item.chmod(0o644)
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


verify_foundation = verify_checkpoint  # a foundation folder is a checkpoint with a manifest


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def invoked_command() -> str:
    """The command line of this process, as typed."""
    return " ".join(["pharmakon", *sys.argv[1:]]) if sys.argv else ""
