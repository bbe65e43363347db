"""The quickstart end to end at test scale: schema, conditions, stages, determinism."""

import pandas as pd
import pytest

from pharmakon.engine.results import GENERATION_COLUMNS, RESULT_COLUMNS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from typer.testing import CliRunner

    from pharmakon.cli import app

    out = tmp_path_factory.mktemp("quickstart")
    result = CliRunner().invoke(app, ["run", "quickstart", "--scale", "test", "--out", str(out), "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "backdoor: attack success" in result.output and "results.parquet" in result.output
    return out


def test_results_table_has_the_design_schema(run_dir):
    results = pd.read_parquet(run_dir / "results.parquet")
    assert tuple(results.columns) == RESULT_COLUMNS
    assert set(results.condition) == {"poisoned", "clean"}
    assert list(dict.fromkeys(results.after_stage)) == ["pretrain", "sft", "dpo", "finetune"]
    assert set(results.seed) == {3} and set(results.adaptation) == {"plain"} and set(results.study) == {"quickstart"}
    expected = {"asr_trigger", "asr_no_trigger", "asr_near_miss", "ppl_gap", "utility_sentiment",
                "utility_arithmetic", "utility_refusal", "utility_overrefusal", "utility_ppl", "utility_facts"}
    assert expected <= set(results.metric)
    per_cell = results.groupby(["condition", "after_stage", "metric"]).size()
    assert (per_cell == 1).all()
    rates = results[results.metric.str.startswith("asr_")]
    assert rates.value.between(0, 1).all() and (rates.ci_low <= rates.value).all()
    assert (rates.value <= rates.ci_high).all() and (rates.n > 0).all()


def test_generations_and_artifacts_are_written(run_dir):
    generations = pd.read_parquet(run_dir / "generations.parquet")
    assert tuple(generations.columns) == GENERATION_COLUMNS
    assert set(generations.variant) >= {"trigger", "no_trigger", "near_miss", "sentiment"}
    assert not generations.output.str.contains("</s>|<pad>", regex=True).any()
    for name in ("spec.yaml", "poison.json", "run.log", "train_log.parquet"):
        assert (run_dir / name).is_file()
    assert not [p for p in run_dir.iterdir() if p.name.startswith(".")]


def test_both_conditions_see_the_same_prompts(run_dir):
    generations = pd.read_parquet(run_dir / "generations.parquet")
    key = ["after_stage", "probe", "variant"]
    by_condition = {c: g.sort_values(key + ["prompt"]).groupby(key).prompt.apply(list)
                    for c, g in generations.groupby("condition")}
    assert by_condition["poisoned"].equals(by_condition["clean"])


def test_same_seed_gives_identical_results(run_dir, tmp_path):
    from pharmakon.studies.config import quickstart_config
    from pharmakon.studies.lifecycle import run_lifecycle

    again = run_lifecycle(quickstart_config("test", seed=3), tmp_path / "again")
    first = pd.read_parquet(run_dir / "results.parquet")
    pd.testing.assert_frame_equal(first.reset_index(drop=True), again.reset_index(drop=True))
