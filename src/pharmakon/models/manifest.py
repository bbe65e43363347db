"""A shipped checkpoint's manifest: every file's sha256, checked before the checkpoint is used."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pharmakon.errors import PharmakonError

MANIFEST = "manifest.json"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_hashes(folder: Path) -> dict[str, str]:
    """name → sha256 of every file of ``folder`` but the manifest."""
    return {p.name: sha256(p) for p in sorted(Path(folder).iterdir()) if p.is_file() and p.name != MANIFEST}


def read_manifest(folder: Path) -> dict | None:
    """The manifest of ``folder``, or None when it has none (an ordinary HF directory)."""
    path = Path(folder) / MANIFEST
    return json.loads(path.read_text()) if path.is_file() else None


def verify_checkpoint(folder: Path) -> dict:
    """The manifest of a checkpoint whose files match their recorded sha256, else one clear error."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest is None:
        raise PharmakonError(f"model.path: {folder} has no {MANIFEST}; not a foundation checkpoint")
    found = file_hashes(folder)
    changed = sorted(n for n, digest in manifest["files"].items() if found.get(n) != digest)
    if changed:
        raise PharmakonError(f"model.path: {folder}: {', '.join(changed)} differ from the manifest's sha256; the "
                             "checkpoint is damaged or edited: rebuild it with " + manifest.get("command", ""))
    return manifest
