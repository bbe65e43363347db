"""The decoding guard a model-side defence installs around generation (CleanGen's token check, ONION's input
filter). While ``guarded(guard)`` is active, ``generate`` passes every prompt through ``guard.input_filter``
before the template and lets ``guard.make(sample, temperature, generator)`` pick each next token. Probes need
no change; their judges still see the clean prompt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DecodingGuard:
    """``make``: a logits processor that picks the next token (it samples itself when ``sample``), or ``None``;
    ``input_filter``: prompts → the prompts the model sees, or ``None``."""

    make: Callable[[bool, float, Any], Any] | None = None
    input_filter: Callable[[list[str]], list[str]] | None = None


_ACTIVE: ContextVar[DecodingGuard | None] = ContextVar("pharmakon_guard", default=None)


def active_guard() -> DecodingGuard | None:
    """The guard installed by the innermost ``guarded``, or ``None``."""
    return _ACTIVE.get()


@contextmanager
def guarded(guard: DecodingGuard | None) -> Iterator[DecodingGuard | None]:
    """Generate under ``guard`` inside the block (``None``: plain generation)."""
    token = _ACTIVE.set(guard)
    try:
        yield guard
    finally:
        _ACTIVE.reset(token)
