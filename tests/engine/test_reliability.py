"""Reliability: SIGKILL at three points and resume; two processes on one cache. Through the console script."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow
PHARMAKON = str(Path(sys.executable).parent / "pharmakon")
SPEC = str(Path(__file__).with_name("tiny.yaml"))


def start(out: Path, cache: Path, *command: str) -> subprocess.Popen:
    arguments = command or ("run", SPEC, "--out", str(out))
    return subprocess.Popen([PHARMAKON, *arguments, "--cache", str(cache)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def finish(process: subprocess.Popen) -> None:
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr.decode()[-2000:]


def nodes(cache: Path) -> dict[str, float]:
    """Complete nodes → when they were created (a recomputed node gets a new time)."""
    return {p.parent.name: json.loads((p.parent / "node.json").read_text())["created"]
            for p in (cache / "nodes").glob("*/COMPLETE")}


def kill_after(process: subprocess.Popen, cache: Path, complete: int) -> None:
    deadline = time.time() + 240
    while len(nodes(cache)) < complete and process.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    assert process.poll() is None, "the run ended before the kill point"
    process.send_signal(signal.SIGKILL)
    process.wait(30)


def again(out: Path, cache: Path) -> subprocess.Popen:
    """``pharmakon resume RUN_DIR`` once the run dir exists; before (killed while preparing data), run again."""
    return start(out, cache, "resume", str(out)) if (out / "spec.yaml").exists() else start(out, cache)


def test_killed_three_times_resumes_without_recomputing(tmp_path):
    reference, cache, out = tmp_path / "reference", tmp_path / "cache", tmp_path / "run"
    finish(start(reference, tmp_path / "reference-cache"))
    total = len(json.loads((reference / "plan.json").read_text()))
    process = start(out, cache)
    for point in (3, total // 2, total - 2):  # early, halfway, at the last probes
        kill_after(process, cache, point)
        complete = nodes(cache)
        assert point <= len(complete) < total
        process = again(out, cache)
        if point == total - 2:
            finish(process)
        else:
            kill_after(process, cache, len(complete) + 1)  # let it do something, then check it redid nothing
        assert all(nodes(cache)[key] == created for key, created in complete.items()), "recomputed a node"
        if point != total - 2:
            process = again(out, cache)
    assert len(nodes(cache)) == total
    assert all((node / "COMPLETE").exists() for node in (cache / "nodes").iterdir())  # nothing half-written
    results = [pd.read_parquet(d / "results.parquet") for d in (reference, out)]
    pd.testing.assert_frame_equal(*results)
    generations = [pd.read_parquet(d / "generations.parquet") for d in (reference, out)]
    pd.testing.assert_frame_equal(*generations)


def test_two_processes_on_one_cache_compute_each_node_once(tmp_path):
    cache = tmp_path / "cache"
    first, second = start(tmp_path / "a", cache), start(tmp_path / "b", cache)
    finish(first)
    finish(second)
    metas = [json.loads((tmp_path / d / "run.json").read_text())["nodes"] for d in ("a", "b")]
    assert metas[0]["total"] == metas[1]["total"]
    assert metas[0]["computed"] + metas[1]["computed"] == metas[0]["total"]  # no node computed twice
    assert len(nodes(cache)) == metas[0]["total"]
    pd.testing.assert_frame_equal(*(pd.read_parquet(tmp_path / d / "results.parquet") for d in ("a", "b")))
    assert not [p for p in (cache / "tmp").iterdir()] if (cache / "tmp").exists() else True
