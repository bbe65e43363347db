"""Fixtures: synthetic run dirs, one with nothing swept and one with a swept DPO beta."""

from __future__ import annotations

from pathlib import Path

import pytest
from synthetic_run import make_run


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return make_run(tmp_path / "run")


@pytest.fixture
def swept_run_dir(tmp_path: Path) -> Path:
    return make_run(tmp_path / "swept", swept=(0.05, 0.1, 0.5))
