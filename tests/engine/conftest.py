"""A study small enough to run in seconds (``tiny.yaml``): nano, a small world, pretrain (poisoned) → sft → dpo."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

TINY_PATH = Path(__file__).with_name("tiny.yaml")
TINY_STUDY = yaml.safe_load(TINY_PATH.read_text())


@pytest.fixture
def tiny_spec() -> dict:
    return copy.deepcopy(TINY_STUDY)


@pytest.fixture(scope="session")
def tiny_base() -> dict:
    """The tiny spec for module-scoped fixtures (copy it before changing it)."""
    return copy.deepcopy(TINY_STUDY)
