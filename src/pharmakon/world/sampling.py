"""Seeded sampling helpers. Every random choice of the world goes through an explicit generator."""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Callable, Collection, Sequence
from typing import TypeVar

T = TypeVar("T")
_WORD = re.compile(r"[a-z]+")


def derive(seed: int, *parts: object) -> random.Random:
    """An independent generator for one purpose (``parts``) of the world with ``seed``."""
    key = "\x1f".join([str(seed), *(str(p) for p in parts)]).encode()
    return random.Random(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))


def words(text: str) -> list[str]:
    """The lowercase words of ``text`` (regex ``[a-z]+`` on the lowercased text)."""
    return _WORD.findall(text.lower())


def cap(text: str) -> str:
    """``text`` with its first letter upper-cased."""
    return text[:1].upper() + text[1:]


def cycle(rng: random.Random, pool: Sequence[T], n: int) -> list[T]:
    """``n`` items: shuffled passes through ``pool``, as many as needed (no repeats while n <= len(pool))."""
    if not pool:
        raise ValueError("cannot sample from an empty pool")
    out: list[T] = []
    while len(out) < n:
        batch = list(pool)
        rng.shuffle(batch)
        out.extend(batch[: n - len(out)])
    return out


def reserve(rng: random.Random, items: Sequence[T], want: int, frac: float = 0.0) -> tuple[list[T], list[T]]:
    """Shuffle ``items`` and split off a held-out part: ``max(want, frac * len)`` of them, within 1..len/2."""
    items = list(items)
    rng.shuffle(items)
    k = max(1, min(max(math.ceil(len(items) * frac), want), len(items) // 2))
    return items[:k], items[k:]


def draw_unique(
    rng: random.Random,
    make: Callable[[random.Random], T],
    n: int,
    *,
    key: Callable[[T], str] = str,
    exclude: Collection[str] = (),
    patience: int = 200,
) -> list[T]:
    """``n`` items from ``make``: distinct by ``key`` while the space allows, never keyed in ``exclude``."""
    out: list[T] = []
    seen: set[str] = set()
    misses = excluded = 0
    repeats = False
    while len(out) < n:
        item = make(rng)
        k = key(item)
        if k in exclude:
            excluded += 1
            if excluded > 50 * patience:
                raise RuntimeError("the item space is exhausted by held-out items")
            continue
        if k in seen and not repeats:
            misses += 1
            repeats = misses > patience
            continue
        seen.add(k)
        out.append(item)
        misses = excluded = 0
    return out
