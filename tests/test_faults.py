"""Faults of the file system and killed runs (issue 23), on the ``smoke`` preset: each fault is one line, exit 2, no
traceback and nothing half-written (no temp file in the run dir, no temp or incomplete node in the cache), and
``resume`` (or the same run again, when the fault came before the run dir) then ends with the results of an
uninterrupted run. Killed runs (SIGKILL at three points, then ``resume``) are tests/engine/test_reliability.py's."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pharmakon.cli import app
from pharmakon.kernel.cache import MARKER

pytestmark = pytest.mark.slow
runner = CliRunner()


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, Path]:
    """An uninterrupted smoke run: its run dir and its cache."""
    root = tmp_path_factory.mktemp("reference")
    result = runner.invoke(app, ["run", "smoke", "--out", str(root / "run"), "--cache", str(root / "cache")])
    assert result.exit_code == 0, result.output[-2000:]
    return root / "run", root / "cache"


def results(run_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(run_dir / "results.parquet")


def assert_one_line(result, *words: str) -> None:
    """Exit 2, no traceback, and one error line, the last on stderr (progress lines of a run may come before)."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert result.exit_code == 2, result.output[-2000:]
    assert len(errors) == 1 and errors[0] == lines[-1] and "Traceback" not in result.output, result.output[-2000:]
    assert all(word in errors[0] for word in words), errors[0]


def assert_nothing_half_written(run_dir: Path, cache: Path) -> None:
    assert not [p for p in run_dir.glob(".*.tmp")] if run_dir.exists() else True
    assert not list((cache / "tmp").glob("*")) if (cache / "tmp").exists() else True
    assert all((node / MARKER).exists() for node in (cache / "nodes").glob("*")) if (cache / "nodes").exists() \
        else True


def copy_run(reference: tuple[Path, Path], tmp: Path) -> tuple[Path, Path]:
    run_dir, cache = tmp / "run", tmp / "cache"
    shutil.copytree(reference[0], run_dir)
    shutil.copytree(reference[1], cache)
    return run_dir, cache


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def fault_truncated_results(run_dir, cache, monkeypatch):
    truncate(run_dir / "results.parquet")
    return [["show", str(run_dir)], ["report", str(run_dir)]], str(run_dir / "results.parquet")


def fault_truncated_generations(run_dir, cache, monkeypatch):
    truncate(run_dir / "generations.parquet")
    return [["report", str(run_dir)]], "generations.parquet"


def fault_disk_full_at_the_report(run_dir, cache, monkeypatch):
    import pharmakon.engine.run as run_module

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(run_module, "atomic_write_bytes", full)
    return [["resume", str(run_dir), "--cache", str(cache)]], "No space left on device"


def fault_disk_full_in_a_data_node(run_dir, cache, monkeypatch):
    import json

    import pharmakon.engine.nodes as nodes

    plan = json.loads((run_dir / "plan.json").read_text())
    key = next(n["key"] for n in plan if n["kind"] == "data")
    shutil.rmtree(cache / "nodes" / key)

    def full(records, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(nodes, "save_records", full)
    return [["resume", str(run_dir), "--cache", str(cache)]], "records.parquet: No space left on device"


def fault_cache_is_a_file(run_dir, cache, monkeypatch):
    shutil.rmtree(run_dir)
    blocker = run_dir.parent / "cache-file"
    blocker.write_text("x")
    return [["run", "smoke", "--out", str(run_dir), "--cache", str(blocker)]], "cache: "


FAULTS = [fault_truncated_results, fault_truncated_generations, fault_disk_full_at_the_report,
          fault_disk_full_in_a_data_node, fault_cache_is_a_file]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.__name__.removeprefix("fault_") for f in FAULTS])
def test_a_fault_is_one_line_and_resume_finishes(reference, tmp_path, monkeypatch, fault):
    run_dir, cache = copy_run(reference, tmp_path)
    with monkeypatch.context() as patch:
        commands, words = fault(run_dir, cache, patch)
        for command in commands:
            assert_one_line(runner.invoke(app, command), words)
        assert_nothing_half_written(run_dir, cache)
    again = ["resume", str(run_dir)] if (run_dir / "spec.yaml").exists() else ["run", "smoke", "--out", str(run_dir)]
    result = runner.invoke(app, [*again, "--cache", str(cache)])
    assert result.exit_code == 0, result.output[-2000:]
    pd.testing.assert_frame_equal(results(run_dir), results(reference[0]))
    assert_nothing_half_written(run_dir, cache)
