"""A stage's data goes through its vector (collection) and its cleaning pipeline inside the engine: the results
table carries offered → inserted → surviving and each defence's score, both conditions are cleaned alike, and bad
collection or cleaning specs are one line, exit code 2, nothing written."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import pharmakon
from pharmakon.cli import app

runner = CliRunner()


def collected_study(tiny_spec: dict) -> dict:
    """Pretrain (clean) → SFT whose BadNets examples reach the data through a crowd, then dedup + quality."""
    spec = dict(tiny_spec, name="collected", probes=[])
    pretrain, sft = spec["pipeline"][0], spec["pipeline"][1]
    pretrain.pop("poison")
    sft["poison"] = {"attack": "badnets", "count": 16, "vector": {"name": "crowd-annotation", "malicious": 0.3,
                                                                   "k": 3, "annotators": 30}}
    sft["clean"] = [{"name": "dedup"}, {"name": "quality"}]
    spec["pipeline"] = [pretrain, sft]
    return spec


def metric(results, condition: str, probe: str, name: str) -> float:
    rows = results[(results.condition == condition) & (results.probe == probe) & (results.metric == name)]
    assert len(rows) == 1, (condition, probe, name, rows)
    return float(rows.value.iloc[0])


def test_the_vector_and_the_cleaning_report_into_the_results_table(tiny_spec, tmp_path):
    results = pharmakon.run(collected_study(tiny_spec), out=tmp_path / "run", cache=tmp_path / "cache",
                            progress=False)
    offered = metric(results, "poisoned", "vector", "offered")
    inserted = metric(results, "poisoned", "vector", "inserted")
    surviving = metric(results, "poisoned", "vector", "surviving")
    assert offered == 16 and 0 < inserted < 16 and surviving <= inserted  # a 30% malicious crowd lets some in
    assert metric(results, "poisoned", "vector", "undetected_insertion_rate") == pytest.approx(surviving / 16)
    assert metric(results, "clean", "vector", "offered") == 0  # the twin is collected the same way, without poison
    for condition in ("poisoned", "clean"):  # both conditions are cleaned by the same pipeline
        lost = results[(results.condition == condition) & (results.metric == "overall_clean_lost")]
        assert len(lost) == 1 and 0 <= lost.value.iloc[0] < 0.5
    assert set(results[results.probe == "cleaning"].after_stage) == {"sft"}


BAD = [
    (["--set", "pipeline.sft.poison={attack: badnets, count: 4, vector: {name: crowd-annotation, malicious: 1.5}}"],
     "pipeline.sft.poison.vector.malicious: must be a share; allowed: [0, 1]"),
    (["--set", "pipeline.sft.poison={attack: badnets, count: 4, vector: {name: crawl-snapshot}}"],
     "pipeline.sft.poison.vector.name: 'crawl-snapshot' delivers document, passage records; sft trains on example"),
    (["--set", "pipeline.sft.poison={attack: badnets, count: 4, vector: {name: gossip}}"],
     "unknown vector 'gossip'"),
    (["--set", "pipeline.sft.clean=[]"], "pipeline.sft.clean: the cleaning pipeline is empty"),
    (["--set", "pipeline.sft.clean=[{name: dedupe}]"], "unknown defence 'dedupe'"),
    (["--set", "pipeline.pretrain.clean=[{name: perplexity}]"],
     "pipeline.pretrain.clean.0: defence 'perplexity' scores with the stage's input model"),
]


@pytest.mark.parametrize(("args", "message"), BAD)
def test_bad_collection_and_cleaning_specs_are_one_line(tmp_path, args, message):
    out, cache = tmp_path / "run", tmp_path / "cache"
    result = runner.invoke(app, ["run", "smoke", *args, "--out", str(out), "--cache", str(cache)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert not out.exists() and not cache.exists()
