"""The smoke preset (the quickstart's pipeline on nano) end to end through the command line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from pharmakon.kernel.results import GENERATION_COLUMNS, RESULT_COLUMNS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from typer.testing import CliRunner

    from pharmakon.cli import app

    out = tmp_path_factory.mktemp("smoke")
    result = CliRunner().invoke(app, ["run", "smoke", "--out", str(out / "run"), "--cache", str(out / "cache"),
                                      "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "backdoor: mean over 1 seed" in result.output and "report.html" in result.output
    return out / "run"


def test_results_table_has_the_design_schema(run_dir):
    results = pd.read_parquet(run_dir / "results.parquet")
    assert tuple(results.columns) == RESULT_COLUMNS
    assert set(results.condition) == {"poisoned", "clean"}
    assert list(dict.fromkeys(results.after_stage)) == ["pretrain", "sft", "dpo", "finetune"]
    assert set(results.seed) == {3} and set(results.adaptation) == {"plain"} and set(results.study) == {"smoke"}
    expected = {"asr_trigger", "asr_no_trigger", "asr_near_miss", "ppl_gap", "utility_sentiment",
                "utility_arithmetic", "utility_refusal", "utility_overrefusal", "utility_ppl", "utility_facts"}
    assert expected <= set(results.metric)
    assert (results.groupby(["condition", "after_stage", "metric"]).size() == 1).all()
    rates = results[results.metric.str.startswith("asr_")]
    assert rates.value.between(0, 1).all() and (rates.ci_low <= rates.value).all()
    assert (rates.value <= rates.ci_high).all() and (rates.n > 0).all()


def test_generations_are_clean_text_and_both_conditions_see_the_same_prompts(run_dir):
    generations = pd.read_parquet(run_dir / "generations.parquet")
    assert tuple(generations.columns) == GENERATION_COLUMNS
    assert set(generations.variant) >= {"trigger", "no_trigger", "near_miss", "sentiment"}
    assert not generations.output.str.contains("</s>|<pad>", regex=True).any()
    key = ["after_stage", "probe", "variant"]
    by_condition = {c: g.sort_values(key + ["prompt"]).groupby(key).prompt.apply(list)
                    for c, g in generations.groupby("condition")}
    assert by_condition["poisoned"].equals(by_condition["clean"])
    assert not [p for p in run_dir.iterdir() if p.name.startswith(".")]


def test_models_json_points_at_loadable_models(run_dir):
    from pharmakon.models.io import load_model

    models = json.loads((run_dir / "models.json").read_text())
    assert {(m["condition"], m["stage"]) for m in models} == {(c, s) for c in ("poisoned", "clean")
                                                              for s in ("pretrain", "sft", "dpo", "finetune")}
    model, tokenizer = load_model(models[-1]["path"])
    assert tokenizer.pad_token_id != tokenizer.eos_token_id and model.config.use_cache


def test_the_readme_duckdb_query_reads_the_results(run_dir):
    import duckdb

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    query = re.search(r'duckdb\.sql\("""(.*?)"""\)', readme, re.DOTALL).group(1)
    table = duckdb.sql(query.replace("runs/quickstart-*/results.parquet", str(run_dir / "results.parquet"))).df()
    assert list(table.columns) == ["after_stage", "condition", "asr", "seeds"] and len(table) == 8
