"""Vectors: how poison reaches data in practice, and how much of it gets in.

Each vector simulates one collection process (a crawl snapshot, a URL index downloaded later, a crowd of
annotators, preference raters, an open write path into a store) with its own seeded parameters. It takes the
clean records and the attacker's poison records and returns a ``Delivery``: the records that enter the dataset
(poison keeps its ``poison`` field: the ground-truth mask) and the counts offered → inserted, plus the vector's
own details. ``surviving`` (after cleaning) is added by whoever cleans the data (``Delivery.after_cleaning``).

The engine calls ``deliver_with(spec, clean, poison, seed)`` (or ``deliver_mixed`` on an attack's output, to keep
its placement); ``VectorSpec`` validates a spec's ``vector:`` entry against ``VECTORS``.
"""

from __future__ import annotations

from pharmakon.poison.vectors.base import Batch, Delivery, Outcome, Vector, VectorConfig
from pharmakon.poison.vectors.counterparts import honest_versions
from pharmakon.poison.vectors.registry import VECTORS, register_vector
from pharmakon.poison.vectors.spec import VectorSpec, deliver_mixed, deliver_with, parse_vector

__all__ = ["VECTORS", "Batch", "Delivery", "Outcome", "Vector", "VectorConfig", "VectorSpec", "deliver_mixed",
           "deliver_with", "honest_versions", "parse_vector", "register_vector"]
