"""The content-addressed node cache: one directory per node key, written once, shared by every study.

A node is computed into ``tmp/``, renamed into ``nodes/<key>/`` and then marked complete (the marker is written
last). A file lock per key keeps two processes from computing one node twice or reading it half-written.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock

from pharmakon.data.io import atomic_write_bytes
from pharmakon.errors import PharmakonError

MARKER = "COMPLETE"
META = "node.json"


def default_cache_dir() -> Path:
    """``$PHARMAKON_CACHE``, else the user's cache dir (``~/.cache/pharmakon`` on Linux)."""
    if os.environ.get("PHARMAKON_CACHE"):
        return Path(os.environ["PHARMAKON_CACHE"])
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("pharmakon"))


class Cache:
    """Node outputs under ``root/nodes/<key>/``; temporary work under ``root/tmp/``; locks under ``root/locks/``."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root else default_cache_dir()

    def check_writable(self) -> None:
        """Refuse, before any node runs, a cache that is a file or cannot be written (nothing is created)."""
        check_writable(self.root, "cache")

    def path(self, key: str) -> Path:
        return self.root / "nodes" / key

    def complete(self, key: str) -> bool:
        return (self.path(key) / MARKER).exists()

    def lock(self, key: str) -> FileLock:
        (self.root / "locks").mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.root / "locks" / f"{key}.lock"))

    @contextmanager
    def claim(self, key: str, meta: dict) -> Iterator[Path | None]:
        """Hold ``key``'s lock; yield ``None`` if the node is complete, else a temp dir to write it into.

        When the body returns, the temp dir becomes the node's dir and the marker is written; when it raises,
        the temp dir is removed and the node stays absent.
        """
        with self.lock(key):
            if self.complete(key):
                yield None
                return
            scratch = self.root / "tmp" / f"{key}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
            scratch.mkdir(parents=True)
            started = time.time()
            try:
                yield scratch
                meta = {**meta, "key": key, "created": started, "seconds": time.time() - started,
                        "pid": os.getpid()}
                atomic_write_bytes(scratch / META, json.dumps(meta, indent=1, default=str).encode())
                final = self.path(key)
                if final.exists():  # an earlier attempt renamed but died before its marker
                    shutil.rmtree(final)
                final.parent.mkdir(parents=True, exist_ok=True)
                os.rename(scratch, final)
                atomic_write_bytes(final / MARKER, b"")
            finally:
                shutil.rmtree(scratch, ignore_errors=True)

    def meta(self, key: str) -> dict:
        return json.loads((self.path(key) / META).read_text())

    def entries(self) -> list[dict]:
        """Every complete node's metadata, with its size in bytes."""
        found = []
        for folder in sorted((self.root / "nodes").glob("*")) if (self.root / "nodes").exists() else []:
            if (folder / MARKER).exists() and (folder / META).exists():
                meta = json.loads((folder / META).read_text())
                meta["bytes"] = _size(folder)
                found.append(meta)
        return found

    def garbage(self, everything: bool = False) -> list[Path]:
        """What ``gc`` removes: leftovers of killed runs, incomplete nodes, nodes whose code changed since."""
        from pharmakon.kernel.code import code_version

        found = [p for p in (self.root / "tmp").glob("*") if not _alive(p.name)] if (self.root / "tmp").exists() \
            else []
        nodes = self.root / "nodes"
        for folder in sorted(nodes.glob("*")) if nodes.exists() else []:
            if everything or not (folder / MARKER).exists() or not (folder / META).exists():
                found.append(folder)
                continue
            meta = json.loads((folder / META).read_text())
            if meta.get("modules") and code_version(meta["modules"]) != meta.get("code"):
                found.append(folder)
        return found

    def gc(self, everything: bool = False) -> tuple[int, int]:
        """Remove ``garbage()``; returns (paths removed, bytes freed)."""
        removed = freed = 0
        for path in self.garbage(everything):
            with self.lock(path.name.split(".")[0]):
                freed += _size(path)
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
        return removed, freed


def check_writable(path: Path, field: str) -> None:
    """Refuse a directory that cannot be made or written, naming ``field`` and the path; creates nothing that
    stays (a probe file in the nearest existing folder is written and removed)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise PharmakonError(f"{field}: {path} is a file; allowed: a directory (or a path where one can be made)")
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise PharmakonError(f"{field}: {path} lies under the file {existing}; allowed: a directory")
    try:
        with tempfile.TemporaryFile(dir=existing, prefix=".pharmakon-write-check."):
            pass
    except OSError as exc:
        raise PharmakonError(f"{field}: {existing} is not writable ({exc.strerror}); allowed: a writable "
                             "directory") from None


def _size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def _alive(name: str) -> bool:
    """Whether the process that owns a temp dir named ``<key>.<pid>.<rand>`` still runs."""
    try:
        pid = int(name.split(".")[1])
        os.kill(pid, 0)
    except (IndexError, ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True
