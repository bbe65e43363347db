"""The command line: help, list, and bad input — one line naming the field, exit code 2, nothing written."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pharmakon.cli import app

runner = CliRunner()


def run_cli(*args: str):
    return runner.invoke(app, list(args))


def test_help_lists_the_commands():
    result = run_cli("--help")
    assert result.exit_code == 0
    assert "run" in result.output and "list" in result.output


def test_list_prints_every_registry_with_one_line_each():
    from pharmakon.poison import ATTACKS
    from pharmakon.probes import PROBES
    from pharmakon.stages import STAGES

    result = run_cli("list")
    assert result.exit_code == 0
    for name in [*STAGES, *ATTACKS, *PROBES, "quickstart"]:
        assert f"  {name} " in result.output


BAD_INPUTS = [
    (["--stages", "pretrain,distill"], "stages.1.kind: unknown stage 'distill'; allowed: pretrain, sft, dpo, finetune"),
    (["--attack", "badnets"], "poison.attack: unknown attack 'badnets'; allowed: dos"),
    (["--probes", "backdoor,vibes"], "probes.1.name: unknown probe 'vibes'; allowed: backdoor, utility"),
    (["--poison-rate", "1.5"], "poison.budget.rate: Input should be less than or equal to 1"),
    (["--poison-rate", "-0.1"], "poison.budget.rate: Input should be greater than or equal to 0"),
    (["--poison-count", "100000", "--poison-mode", "replace"], "poison.budget.count: 100000 is larger than the corpus"),
    (["--model", "giant"], "model: unknown model 'giant'; allowed: nano, micro, small, base"),
    (["--poison-mode", "sprinkle"], "poison.budget.mode: Input should be 'insert' or 'replace'"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUTS)
def test_bad_input_is_one_line_exit_two_nothing_written(tmp_path, args, message):
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", "quickstart", "--scale", "test", "--out", str(out), *args])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


def test_empty_dataset_is_refused_before_anything_is_written(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", "quickstart", "--scale", "test", "--out", str(out), "--dataset", str(empty)])
    assert result.exit_code == 2
    assert "is empty: it needs at least one record" in result.stderr
    assert not out.exists()


def test_unknown_study_lists_the_studies(tmp_path):
    result = run_cli("run", "nightshade", "--out", str(tmp_path / "x"))
    assert result.exit_code == 2
    assert "study: unknown study 'nightshade'; allowed: quickstart" in result.stderr


def test_console_script_exits_two_without_traceback(tmp_path):
    out = tmp_path / "run"
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "pharmakon"), "run", "quickstart", "--attack", "nope", "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 2
    assert completed.stderr.strip().count("\n") == 0 and "unknown attack 'nope'" in completed.stderr
    assert "Traceback" not in completed.stderr + completed.stdout
    assert not out.exists()


def test_a_dataset_of_documents_replaces_the_world_corpus(tmp_path, world):
    from pharmakon.data import save_records
    from pharmakon.studies.config import quickstart_config
    from pharmakon.studies.lifecycle import prepare

    path = save_records(world.documents()[:50], tmp_path / "docs.jsonl")
    config = quickstart_config("test", dataset=str(path))
    materials = prepare(config)
    assert len([r for r in materials.poisoned["pretrain"] if not r.is_poison]) == 50
    assert json.loads(json.dumps(materials.poison_report.as_dict()))["n_poison"] == 20


def test_bad_attack_parameter_is_one_line(tmp_path):
    result = runner.invoke(app, ["run", "quickstart", "--scale", "test", "--out", str(tmp_path / "r"), "--trigger", ""])
    assert result.exit_code == 2
    assert "poison.params.trigger: String should have at least 1 character" in result.stderr
