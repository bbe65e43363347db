"""Shared fixtures: a small world, its tokenizer, and nano models. Everything offline and seeded."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")



@pytest.fixture(autouse=True, scope="session")
def isolated_cache(tmp_path_factory):
    """No test touches the user's cache: ``PHARMAKON_CACHE`` points into the session's tmp dir."""
    os.environ["PHARMAKON_CACHE"] = str(tmp_path_factory.mktemp("pharmakon-cache"))
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
