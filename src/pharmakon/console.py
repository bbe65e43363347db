"""The one stderr console that progress displays share (rich nests live displays on one console)."""

from __future__ import annotations

from functools import cache

from rich.console import Console


@cache
def stderr_console() -> Console:
    return Console(stderr=True)
