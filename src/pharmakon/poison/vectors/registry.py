"""``VECTORS``: name → ``Vector``, the built-in simulations of how poison reaches data."""

from __future__ import annotations

from pharmakon.poison.vectors.crawl import CRAWL_SNAPSHOT
from pharmakon.poison.vectors.crowd import CROWD_ANNOTATION
from pharmakon.poison.vectors.domains import EXPIRED_DOMAIN
from pharmakon.poison.vectors.openwrite import OPEN_WRITE
from pharmakon.poison.vectors.raters import PREFERENCE_RATERS
from pharmakon.registry import Registry

VECTORS = Registry("vector", "poison.vector.name")
for _vector in (CRAWL_SNAPSHOT, EXPIRED_DOMAIN, CROWD_ANNOTATION, PREFERENCE_RATERS, OPEN_WRITE):
    VECTORS.add(_vector.name, _vector)


def register_vector(vector):
    """Register a ``Vector`` (a plugin's) under its name; returns it."""
    return VECTORS.add(vector.name, vector)
