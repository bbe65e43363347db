"""Clustering of sentence embeddings: a small, unusually dense cluster is suspicious.

Poison made from one template (a trigger plus a payload) lands close together in embedding space, apart from the
varied clean data. Activation Clustering (Chen et al. 2018, https://arxiv.org/abs/1811.03728) flags the small
cluster of a split; with no labels to split by, we cluster everything with k-means (or Ward agglomeration) and
flag each cluster that is

* small: between ``min_size`` records and ``max_fraction`` of all records, and
* dense: its density (mean cosine similarity of members to their centroid) lies more than ``z`` robust standard
  deviations (1.4826 × MAD) above the median density of all clusters of at least ``min_size``.

Embeddings come from all-MiniLM-L6-v2 (``pharmakon.models.encoder``), L2-normalised; an ``embed`` function can be
passed instead (tests, other encoders).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from pharmakon.data.records import Record
from pharmakon.defenses.base import KEEP, Decision, Defense, drop, record_text
from pharmakon.defenses.configs import ClusterConfig

Embed = Callable[[list[str]], np.ndarray]


def _default_embed(batch_size: int) -> Embed:
    def embed(texts: list[str]) -> np.ndarray:
        from pharmakon.models.encoder import encode

        return encode(texts, batch_size=batch_size)

    return embed


def cluster_labels(vectors: np.ndarray, k: int, algorithm: str, seed: int) -> np.ndarray:
    """Cluster id of each row (scikit-learn k-means or Ward agglomeration)."""
    if algorithm == "agglomerative":
        from sklearn.cluster import AgglomerativeClustering

        return AgglomerativeClustering(n_clusters=k).fit_predict(vectors)
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(vectors)


def density(vectors: np.ndarray) -> float:
    """Mean cosine similarity of unit vectors to their (normalised) centroid."""
    centroid = vectors.mean(0)
    norm = np.linalg.norm(centroid)
    return float((vectors @ (centroid / norm)).mean()) if norm > 0 else 0.0


class SuspiciousClusters(Defense):
    """Drop the members of small, unusually dense embedding clusters."""

    name = "cluster"

    def __init__(self, config: ClusterConfig | None = None, *, embed: Embed | None = None, **params) -> None:
        self.config = config or ClusterConfig(**params)
        self.embed = embed or _default_embed(self.config.batch_size)

    def n_clusters(self, n: int) -> int:
        k = self.config.n_clusters or max(2, round(math.sqrt(n / 2)))
        return min(k, n)

    def clusters(self, records: list[Record]) -> tuple[np.ndarray, dict[int, tuple[int, float, float]]]:
        """Cluster labels and, per cluster, ``(size, density, z)``; z is NaN for clusters below ``min_size``."""
        cfg = self.config
        vectors = np.asarray(self.embed([record_text(r) for r in records]), dtype=np.float32)
        labels = cluster_labels(vectors, self.n_clusters(len(records)), cfg.algorithm, cfg.seed)
        stats = {int(c): (int((labels == c).sum()), density(vectors[labels == c])) for c in np.unique(labels)}
        eligible = np.array([d for size, d in stats.values() if size >= cfg.min_size])
        median = float(np.median(eligible)) if eligible.size else 0.0
        spread = 1.4826 * float(np.median(np.abs(eligible - median))) if eligible.size else 0.0
        spread = max(spread, 1e-3)  # identical densities must not make every deviation infinite
        table = {c: (size, d, (d - median) / spread if size >= cfg.min_size else math.nan)
                 for c, (size, d) in stats.items()}
        return labels, table

    def decide(self, records: list[Record]) -> list[Decision]:
        cfg = self.config
        if len(records) < 2 * cfg.min_size:
            return [KEEP] * len(records)
        labels, table = self.clusters(records)
        limit = cfg.max_fraction * len(records)
        flagged = {c: f"suspicious-cluster: {size} records, density {d:.3f} ({z:.1f} MADs above the median)"
                   for c, (size, d, z) in table.items() if size <= limit and z > cfg.z}
        return [drop(flagged[int(c)]) if int(c) in flagged else KEEP for c in labels]
