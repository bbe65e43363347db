"""A node's code version: the hash of the source of the modules that implement its kind.

Found with ``importlib.util.find_spec`` (no import, so planning stays fast); a package counts all its files.
An edit to a recipe therefore invalidates the cached nodes it produced, and nothing else.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from functools import cache
from pathlib import Path


@cache
def module_hash(module: str) -> str:
    """sha256 of the module's source (of every ``.py`` file under it, for a package)."""
    try:
        spec = importlib.util.find_spec(module)
        origin_text = spec.origin if spec else None
    except (ImportError, ValueError):  # e.g. a plugin defined in __main__
        origin_text = getattr(sys.modules.get(module), "__file__", None)
    if not origin_text or not Path(origin_text).is_file():
        return "unknown:" + module
    origin = Path(origin_text)
    files = sorted(origin.parent.rglob("*.py")) if origin.name == "__init__.py" else [origin]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def code_version(modules: list[str]) -> str:
    """One hash over the named modules' sources."""
    return hashlib.sha256("".join(module_hash(m) for m in sorted(set(modules))).encode()).hexdigest()[:16]
