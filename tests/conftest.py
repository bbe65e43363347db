"""Shared fixtures: a small world, its tokenizer, and nano models. Everything offline and seeded."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def pytest_configure(config):
    """Under pytest-xdist (``make test`` runs ``-n auto``), pin each worker to its own share of the CPUs.

    A stage sets torch's threads from the CPU affinity (``stages.common.available_threads``), so a pinned worker
    trains on its cores alone and two workers on two cores do not oversubscribe them. Measured on a 2-core AMD
    EPYC: the whole suite 785.6 s in one process, 666.5 s with two pinned workers (a single test on one core runs
    up to 2.7x longer than on two, but the rest of the suite runs beside it).
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if not worker.startswith("gw") or count < 2 or not hasattr(os, "sched_setaffinity"):
        return
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) >= count:
        os.sched_setaffinity(0, cpus[int(worker[2:]) % count::count])


@pytest.fixture(autouse=True, scope="session")
def isolated_cache(tmp_path_factory):
    """No test touches the user's cache: ``PHARMAKON_CACHE`` points into the session's tmp dir, one cache for all
    the session's xdist workers (the cache is safe for concurrent processes: tests/engine/test_reliability.py), so a
    node two workers' tests share, such as a clean twin, is trained once."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # each worker's base dir sits in the session's
    path = root / "pharmakon-cache"
    path.mkdir(exist_ok=True)
    os.environ["PHARMAKON_CACHE"] = str(path)
    return os.environ["PHARMAKON_CACHE"]


SMALL_WORLD = {"n_entities": 12, "documents_per_family": 60, "examples_per_family": 40, "pairs_per_family": 24,
               "eval_per_family": 12}


@pytest.fixture(scope="session")
def world():
    from pharmakon.world import World, WorldConfig

    return World(WorldConfig(**SMALL_WORLD))


@pytest.fixture(scope="session")
def tokenizer(world):
    from pharmakon.models.tokenizer import train_tokenizer

    return train_tokenizer(world.corpus_text(), vocab_size=512)


@pytest.fixture
def nano(tokenizer):
    from pharmakon.models.configs import build_tiny_model

    return build_tiny_model("nano", tokenizer, seed=0)
