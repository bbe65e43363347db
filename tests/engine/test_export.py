"""`pharmakon data export` on the tiny spec: the poisoned and clean data of a stage, exactly as the cache holds it,
in JSONL or parquet, with the attack's report and provenance; bad options are one line, exit 2, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pharmakon.cli import app
from pharmakon.data.io import load_records
from pharmakon.engine.export import export_data
from pharmakon.engine.load import load_study
from pharmakon.engine.plan import plan_study
from pharmakon.kernel.cache import Cache
from pharmakon.kernel.results import point_id

TINY_PATH = Path(__file__).with_name("tiny.yaml")
runner = CliRunner()
BETA = "pipeline.dpo.beta"
SWEEP = f"sweep.axes={{{BETA}: [0.1, 0.3]}}"


def export(out, cache, *args: str):
    """``pharmakon data export`` of the tiny spec (``--stage pretrain`` unless ``args`` name a stage)."""
    stage = [] if "--stage" in args else ["--stage", "pretrain"]
    return runner.invoke(app, ["data", "export", str(TINY_PATH), "--out", str(out), "--cache", str(cache), *stage,
                               *args])


def data_node(condition: str, stage: str = "pretrain") -> str:
    """The data node of ``stage`` in the tiny spec's first point and seed, found independently of the export."""
    plan = plan_study(load_study(TINY_PATH))
    entry = next(e for e in plan.lineage if e["condition"] == condition and e["stage"] == stage)
    return plan.nodes[entry["node"]].inputs["data"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The poisoned, then the clean pretraining data exported through the CLI into one cache."""
    root = tmp_path_factory.mktemp("export")
    results = {condition: export(root / condition, root / "cache", "--condition", condition)
               for condition in ("poisoned", "clean")}
    return root, results


def read(folder):
    return (load_records(folder / "records.jsonl"), json.loads((folder / "poison.json").read_text()),
            json.loads((folder / "provenance.json").read_text()))


def test_poisoned_pretrain_data_has_exactly_the_attacks_poison(exported):
    root, results = exported
    assert results["poisoned"].exit_code == 0, results["poisoned"].output
    records, report, provenance = read(root / "poisoned")
    poison = [r for r in records if r.poison]
    assert len(poison) == report["n_poison"] == 12 and {r.poison for r in poison} == {"dos"}
    assert len(records) - len(poison) == report["n_clean"] and all(r.kind == "document" for r in records)
    assert provenance == {"study": "tiny", "stage": "pretrain", "condition": "poisoned", "seed": 0,
                          "point": point_id({}), "swept": {}, "node": data_node("poisoned"),
                          "records": "records.jsonl", "n_records": len(records), "n_clean": report["n_clean"],
                          "n_poison": 12}
    lines = results["poisoned"].output.strip().splitlines()
    assert len(lines) == 1 and str(root / "poisoned" / "records.jsonl") in lines[0]
    assert f"{len(records)} records, 12 poison" in lines[0]


def test_the_clean_twin_has_no_poison(exported):
    root, results = exported
    assert results["clean"].exit_code == 0, results["clean"].output
    records, report, provenance = read(root / "clean")
    poisoned_report = read(root / "poisoned")[1]
    assert report is None and not any(r.poison for r in records)
    assert len(records) == poisoned_report["n_clean"]
    assert provenance["node"] == data_node("clean") != data_node("poisoned")
    assert (provenance["n_poison"], provenance["n_clean"]) == (0, len(records))


@pytest.mark.parametrize("condition", ["poisoned", "clean"])
def test_the_export_equals_the_cached_data_node(exported, condition):
    root, _ = exported
    cached = load_records(Cache(root / "cache").path(data_node(condition)) / "records.parquet")
    assert load_records(root / condition / "records.jsonl") == cached


def test_parquet_and_jsonl_round_trip_to_the_same_records(exported):
    root, _ = exported
    result = export(root / "parquet", root / "cache", "--format", "parquet")
    assert result.exit_code == 0, result.output
    assert not (root / "parquet" / "records.jsonl").exists()
    assert load_records(root / "parquet" / "records.parquet") == load_records(root / "poisoned" / "records.jsonl")
    assert json.loads((root / "parquet" / "provenance.json").read_text())["records"] == "records.parquet"


def test_a_second_export_reuses_the_cache(exported, tmp_path):
    root, _ = exported
    cache = Cache(root / "cache")
    node = data_node("poisoned")
    created = cache.meta(node)["created"]
    again = export_data(load_study(TINY_PATH), "pretrain", tmp_path / "again", cache=cache)
    assert again.node == node and again.computed == 0 and again.cached == again.total == 2  # tokenizer, data
    assert cache.meta(node)["created"] == created
    assert load_records(again.path) == load_records(root / "poisoned" / "records.jsonl")


def test_a_stage_without_poison_exports_its_clean_data(exported, tmp_path):
    root, _ = exported
    result = export(tmp_path / "sft", root / "cache", "--stage", "sft")
    assert result.exit_code == 0, result.output
    records, report, provenance = read(tmp_path / "sft")
    assert report is None and records and all(r.kind == "example" and not r.poison for r in records)
    assert provenance["node"] == data_node("poisoned", "sft") == data_node("clean", "sft")


def test_a_point_of_a_sweep_is_chosen_by_id(exported, tmp_path):
    root, _ = exported
    second = point_id({"pipeline.dpo.beta": 0.3})
    result = export(tmp_path / "point", root / "cache", "--set", SWEEP, "--point", second)
    assert result.exit_code == 0, result.output
    provenance = json.loads((tmp_path / "point" / "provenance.json").read_text())
    assert provenance["point"] == second and provenance["swept"] == {"pipeline.dpo.beta": 0.3}
    assert provenance["node"] == data_node("poisoned")  # the sweep does not reach pretraining data


def test_a_point_of_a_sweep_is_chosen_by_its_arm_s_name(exported, tmp_path):
    root, _ = exported
    arms = f"sweep.arms={{low: {{{BETA}: 0.1}}, high: {{{BETA}: 0.3}}}}"
    result = export(tmp_path / "arm", root / "cache", "--set", arms, "--point", "high", "--stage", "dpo")
    assert result.exit_code == 0, result.output
    provenance = json.loads((tmp_path / "arm" / "provenance.json").read_text())
    assert provenance["swept"]["arm"] == "high" and provenance["point"] == point_id(provenance["swept"])


BAD_OPTIONS = [
    (["--stage", "distill"], "stage: no stage 'distill' in the pipeline; allowed: pretrain, sft, dpo"),
    (["--condition", "dirty"], "condition: 'dirty' is not a condition of this study; allowed: poisoned, clean"),
    (["--set", "probes=[]", "--set", "pipeline.pretrain.poison=null", "--condition", "poisoned"],
     "condition: 'poisoned' is not a condition of this study (no stage carries poison); allowed: clean"),
    (["--format", "csv"], "format: unknown format 'csv'; allowed: jsonl, parquet"),
    (["--set", SWEEP, "--point", "nope"], f"point: no grid point 'nope'; allowed: {point_id({BETA: 0.1})} "
                                          f"({BETA}=0.1), {point_id({BETA: 0.3})} ({BETA}=0.3)"),
    (["--set", "pipeline.sft.epochs=many"], "pipeline.sft.epochs: Input should be a valid number"),
]


@pytest.mark.parametrize(("args", "message"), BAD_OPTIONS)
def test_bad_options_are_one_line_exit_two_nothing_written(tmp_path, args, message):
    out, cache = tmp_path / "out", tmp_path / "cache"
    result = export(out, cache, *args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert not out.exists() and not cache.exists()


def test_an_out_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "out").write_text("mine")
    result = export(tmp_path / "out", tmp_path / "cache")
    assert result.exit_code == 2 and "out: " in result.stderr and "is a file" in result.stderr
    assert (tmp_path / "out").read_text() == "mine" and not (tmp_path / "cache").exists()


def test_the_command_is_listed():
    assert "data" in runner.invoke(app, ["--help"]).output
    assert "export" in runner.invoke(app, ["data", "--help"]).output
