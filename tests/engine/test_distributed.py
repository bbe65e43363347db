"""Multi-process training: a stage with ``processes: 2`` trains under ``accelerate launch`` with two CPU
processes over gloo, and the run's results table has the same shape as a single-process run's."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import pharmakon
from pharmakon.cli import app

SPEC = {"name": "ddp", "seeds": [0], "model": {"name": "nano", "vocab_size": 400},
        "world": {"n_entities": 8, "documents_per_family": 10, "examples_per_family": 16, "eval_per_family": 4},
        "pipeline": [{"kind": "sft", "max_steps": 4, "batch_size": 8, "learning_rate": 5e-3, "processes": 2}],
        "probes": [{"name": "utility", "n_per_task": 2, "n_documents": 2, "max_new_tokens": 4}]}


@pytest.mark.slow
def test_a_stage_trains_with_two_cpu_processes_and_reports_like_one(tmp_path):
    import pandas as pd
    import torch

    from pharmakon.models.io import load_model

    results = pharmakon.run(SPEC, out=tmp_path / "two", cache=tmp_path / "cache", progress=False)
    (trained,) = json.loads((tmp_path / "two" / "models.json").read_text())
    model_dir = Path(trained["path"])
    record = json.loads((model_dir.parent / "processes.json").read_text())
    assert record == {"processes": 2, "backend": "gloo", "type": "DistributedType.MULTI_CPU"}
    log = pd.read_parquet(tmp_path / "two" / "train_log.parquet")
    assert len(log) == 4 and log["loss"].notna().all()
    single = pharmakon.run({**SPEC, "pipeline": [{**SPEC["pipeline"][0], "processes": 1}]},
                           out=tmp_path / "one", cache=tmp_path / "cache", progress=False)
    assert list(results.columns) == list(single.columns) and len(results) == len(single)
    assert set(results.metric) == set(single.metric)
    init = next(p for p in (tmp_path / "cache" / "nodes").glob("*/model") if p != model_dir
                and json.loads((p.parent / "node.json").read_text()).get("kind") == "init")
    trained_weights, initial = load_model(model_dir)[0].state_dict(), load_model(init)[0].state_dict()
    assert any(not torch.equal(trained_weights[k], initial[k]) for k in initial)  # training moved the weights


def test_a_batch_that_does_not_split_across_the_processes_is_one_line_exit_two(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: x\nseeds: [0]\npipeline: [{kind: sft, batch_size: 9, processes: 2}]\n")
    result = CliRunner().invoke(app, ["run", str(spec), "--out", str(tmp_path / "run"), "--cache",
                                      str(tmp_path / "cache")])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1, result.stderr
    assert "batch_size (9) must be a multiple of processes (2)" in lines[0]
    assert not (tmp_path / "run").exists()
