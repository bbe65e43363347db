"""A study end to end on the tiny spec: the run dir, a re-run that recomputes nothing, determinism, the API."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import pharmakon
from pharmakon.engine.load import load_study
from pharmakon.engine.run import run_study
from pharmakon.kernel.cache import Cache
from pharmakon.kernel.progress import StudyProgress
from pharmakon.kernel.results import GENERATION_COLUMNS, RESULT_COLUMNS


def quiet() -> StudyProgress:
    return StudyProgress(live=False, quiet=True)


@pytest.fixture(scope="module")
def finished(tmp_path_factory, tiny_base):
    root = tmp_path_factory.mktemp("run")
    study = load_study(tiny_base, {"sweep": {"axes": {"pipeline.dpo.beta": [0.1, 0.3]}}})
    outcome = run_study(study, root / "run", Cache(root / "cache"), quiet())
    return study, outcome, root


def test_the_run_dir_holds_every_table(finished):
    _, outcome, _ = finished
    run_dir = outcome.run_dir
    for name in ("spec.yaml", "results.parquet", "generations.parquet", "train_log.parquet", "poison.json",
                 "run.json", "plan.json", "run.log", "report.html"):
        assert (run_dir / name).is_file(), name
    results = pd.read_parquet(run_dir / "results.parquet")
    assert list(results.columns) == [*RESULT_COLUMNS[:2], "pipeline.dpo.beta", *RESULT_COLUMNS[2:]]
    assert sorted(set(results["pipeline.dpo.beta"])) == [0.1, 0.3]
    assert set(results.condition) == {"poisoned", "clean"}
    assert list(dict.fromkeys(results.after_stage)) == ["pretrain", "sft", "dpo"]
    assert (results.groupby(["point", "condition", "after_stage", "metric"]).size() == 1).all()
    generations = pd.read_parquet(run_dir / "generations.parquet")
    assert list(generations.columns) == [*GENERATION_COLUMNS[:2], "pipeline.dpo.beta", *GENERATION_COLUMNS[2:]]
    meta = json.loads((run_dir / "run.json").read_text())
    assert meta["axes"] == ["pipeline.dpo.beta"] and meta["nodes"]["computed"] == outcome.total
    poison = json.loads((run_dir / "poison.json").read_text())
    assert {p["stage"] for p in poison} == {"pretrain"} and all(p["n_poison"] == 12 for p in poison)
    log = pd.read_parquet(run_dir / "train_log.parquet")
    pretrain = log[log.stage == "pretrain"]
    # the tokens each step trained on: batch × block (an epoch's last batch may be short)
    assert len(pretrain) and (pretrain.tokens > 0).all() and pretrain.tokens.max() == 8 * 48
    assert {"reward", "eval_loss", "epoch", "kept"} <= set(log.columns) and pretrain.eval_loss.isna().all()


def test_early_stopping_s_epochs_reach_the_run_s_training_log(tmp_path, tiny_base):
    spec = {**tiny_base, "probes": [], "pipeline": [
        tiny_base["pipeline"][0],
        {"kind": "sft", "epochs": 3, "batch_size": 8, "max_length": 64, "early_stopping": 0.25}]}
    outcome = run_study(load_study(spec), tmp_path / "run", Cache(tmp_path / "cache"), quiet())
    log = pd.read_parquet(outcome.run_dir / "train_log.parquet")
    sft = log[(log.stage == "sft") & (log.condition == "poisoned")]
    epochs = sft.dropna(subset=["eval_loss"])
    assert list(epochs.epoch) == [1.0, 2.0, 3.0] and (epochs.eval_loss > 0).all()
    kept = sft[sft.kept == 1.0]
    assert len(kept) == 1 and kept.eval_loss.iloc[0] == epochs.eval_loss.min()


def test_shared_nodes_give_equal_rows_to_every_point(finished):
    results = finished[1].results
    before_dpo = results[results.after_stage != "dpo"]
    by_point = [g.drop(columns=["point", "pipeline.dpo.beta"]).reset_index(drop=True)
                for _, g in before_dpo.groupby("point")]
    pd.testing.assert_frame_equal(by_point[0], by_point[1])
    from safetensors.torch import load_file

    from pharmakon.engine.plan import plan_study

    study, _, root = finished
    plan = plan_study(study)
    cache = Cache(root / "cache")
    for condition in ("poisoned", "clean"):  # beta changed the model (sampled rows may coincide on nano)
        nodes = [row["node"] for row in plan.lineage if row["stage"] == "dpo" and row["condition"] == condition]
        weights = [load_file(cache.path(node) / "model" / "model.safetensors") for node in nodes]
        assert len(weights) == 2 and any((weights[0][k] != weights[1][k]).any() for k in weights[0])


def test_a_rerun_recomputes_nothing_and_writes_the_same_results(finished, tmp_path):
    study, outcome, root = finished
    again = run_study(study, tmp_path / "again", Cache(root / "cache"), quiet())
    assert again.computed == 0 and again.cached == again.total
    pd.testing.assert_frame_equal(again.results, outcome.results)


def test_resuming_into_the_same_dir_is_allowed_and_another_spec_is_not(finished, tmp_path):
    study, outcome, root = finished
    run_study(study, outcome.run_dir, Cache(root / "cache"), quiet())
    other = load_study(study.model_dump(mode="json"), {"pipeline.sft.max_steps": 2})
    with pytest.raises(pharmakon.errors.PharmakonError, match="holds a different study"):
        run_study(other, outcome.run_dir, Cache(root / "cache"), quiet())


@pytest.mark.slow
def test_the_same_spec_and_seed_give_identical_values(finished, tmp_path):
    study, outcome, _ = finished
    cold = run_study(study, tmp_path / "cold", Cache(tmp_path / "fresh-cache"), quiet())
    assert cold.computed == cold.total
    pd.testing.assert_frame_equal(cold.results, outcome.results)


def test_the_python_api_returns_the_results(finished, tmp_path):
    study, outcome, root = finished
    frame = pharmakon.run(study.model_dump(mode="json"), out=tmp_path / "api", cache=root / "cache",
                          progress=False, **{"sweep.axes": {"pipeline.dpo.beta": [0.3]}})
    expected = outcome.results[outcome.results["pipeline.dpo.beta"] == 0.3].reset_index(drop=True)
    pd.testing.assert_frame_equal(frame, expected)


def test_a_dataset_of_documents_replaces_the_world_corpus(tiny_spec, world, tmp_path):
    from pharmakon.data.io import save_records

    path = save_records(world.documents()[:50], tmp_path / "docs.jsonl")
    tiny_spec["pipeline"] = tiny_spec["pipeline"][:1]
    tiny_spec["probes"] = [{"name": "backdoor", "n_prompts": 2, "max_new_tokens": 4}]
    outcome = run_study(load_study(tiny_spec, {"dataset": {"path": str(path)}}), tmp_path / "run",
                        Cache(tmp_path / "cache"), quiet())
    poison = json.loads((outcome.run_dir / "poison.json").read_text())
    assert [(p["n_clean"], p["n_poison"]) for p in poison] == [(50, 12)]
    path.write_text(path.read_text().replace("a", "e", 1))  # an edited dataset is a new input
    from pharmakon.engine.plan import file_digest, plan_study

    file_digest.cache_clear()
    again = plan_study(load_study(tiny_spec, {"dataset": {"path": str(path)}}))
    assert not any(Cache(tmp_path / "cache").complete(key) for key in again.nodes)
