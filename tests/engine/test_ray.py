"""The Ray executor on a local instance (loopback): the same result values as the local executor."""

from __future__ import annotations

import pandas as pd
import pytest

from pharmakon.engine.load import load_study
from pharmakon.engine.run import run_study
from pharmakon.kernel.cache import Cache
from pharmakon.kernel.progress import StudyProgress

pytestmark = pytest.mark.slow


def test_ray_gives_the_local_executors_values(tiny_spec, tmp_path):
    pytest.importorskip("ray", reason="ray is not installed: pip install 'pharmakon[ray]'")
    tiny_spec["pipeline"] = tiny_spec["pipeline"][:2]
    local = run_study(load_study(tiny_spec), tmp_path / "local", Cache(tmp_path / "local-cache"),
                      StudyProgress(live=False, quiet=True))
    on_ray = run_study(load_study(tiny_spec, {"executor.kind": "ray"}), tmp_path / "ray",
                       Cache(tmp_path / "ray-cache"), StudyProgress(live=False, quiet=True))
    assert on_ray.computed == on_ray.total == local.total
    pd.testing.assert_frame_equal(on_ray.results, local.results)
    generations = [pd.read_parquet(d / "generations.parquet") for d in (tmp_path / "local", tmp_path / "ray")]
    pd.testing.assert_frame_equal(*generations)
