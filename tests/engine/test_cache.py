"""The cache: a node appears whole or not at all, the marker comes last, a lock serialises claims, gc collects
leftovers and nodes whose code changed."""

from __future__ import annotations

import json
import multiprocessing
import time

import pytest

from pharmakon.kernel.cache import MARKER, Cache


def test_a_claimed_node_is_complete_after_the_body(tmp_path):
    cache = Cache(tmp_path)
    with cache.claim("k1", {"kind": "data", "label": "x"}) as out:
        assert out is not None and not cache.complete("k1")
        (out / "payload.txt").write_text("hello")
    assert cache.complete("k1")
    assert (cache.path("k1") / "payload.txt").read_text() == "hello"
    assert cache.meta("k1")["kind"] == "data"
    with cache.claim("k1", {}) as again:
        assert again is None  # complete: nothing to do
    assert not list((tmp_path / "tmp").iterdir())


def test_a_failing_node_leaves_nothing(tmp_path):
    cache = Cache(tmp_path)
    with pytest.raises(RuntimeError), cache.claim("k2", {}) as out:
        (out / "half.txt").write_text("half")
        raise RuntimeError("killed mid-node")
    assert not cache.complete("k2") and not cache.path("k2").exists()
    assert not list((tmp_path / "tmp").iterdir())


def test_a_renamed_node_without_marker_is_recomputed(tmp_path):
    cache = Cache(tmp_path)
    cache.path("k3").mkdir(parents=True)  # renamed, then killed before the marker
    (cache.path("k3") / "stale.txt").write_text("stale")
    with cache.claim("k3", {}) as out:
        assert out is not None
        (out / "fresh.txt").write_text("fresh")
    assert sorted(p.name for p in cache.path("k3").iterdir()) == [MARKER, "fresh.txt", "node.json"]


def _claim_and_count(root: str, counter: str) -> None:
    cache = Cache(root)
    with cache.claim("shared", {}) as out:
        if out is not None:
            with open(counter, "a") as handle:
                handle.write("computed\n")
            time.sleep(0.3)
            (out / "value.txt").write_text("42")


def test_two_processes_compute_a_node_once(tmp_path):
    counter = tmp_path / "count.txt"
    workers = [multiprocessing.get_context("spawn").Process(target=_claim_and_count,
                                                            args=(str(tmp_path / "c"), str(counter)))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0]
    assert counter.read_text().count("computed") == 1
    assert (Cache(tmp_path / "c").path("shared") / "value.txt").read_text() == "42"


def test_gc_removes_leftovers_and_stale_code(tmp_path):
    cache = Cache(tmp_path)
    with cache.claim("fresh", {"kind": "stage", "modules": ["pharmakon.kernel.cache"], "code": "x"}) as out:
        (out / "a").write_text("a")
    from pharmakon.kernel.code import code_version

    with cache.claim("current", {"kind": "stage", "modules": ["pharmakon.kernel.cache"],
                                 "code": code_version(["pharmakon.kernel.cache"])}) as out:
        (out / "b").write_text("b")
    (tmp_path / "tmp" / "dead.999999999.abcd").mkdir(parents=True)
    garbage = {p.name for p in cache.garbage()}
    assert garbage == {"fresh", "dead.999999999.abcd"}
    removed, _ = cache.gc()
    assert removed == 2 and cache.complete("current") and not cache.path("fresh").exists()
    assert [e["key"] for e in cache.entries()] == ["current"]
    assert json.loads((cache.path("current") / "node.json").read_text())["kind"] == "stage"
