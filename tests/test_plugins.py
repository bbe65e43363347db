"""Plugins: an installed package's entry points add probes (or attacks, stages) that a study can name."""

from __future__ import annotations

import textwrap

import pytest

from pharmakon import registry
from pharmakon.probes import PROBES

PLUGIN = '''
from pydantic import BaseModel, ConfigDict, Field

from pharmakon import register_probe
from pharmakon.probes.metrics import mean_row


class LengthConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n_prompts: int = Field(default=4, ge=1)


@register_probe("output_length", config=LengthConfig, description="words per greedy answer",
                metrics=("output_words",))
def output_length(model, tokenizer, context, config, seed):
    from pharmakon.inference.generate import generate

    prompts = [item.prompt for item in context.eval_items["sentiment"][: config.n_prompts]]
    made = generate(model, tokenizer, prompts, style=context.style, max_new_tokens=6, seed=seed)
    words = [len(g.output.split()) for g in made]
    rows = [mean_row("output_length", "output_words", words, seed)]
    return rows, [{"probe": "output_length", "variant": "plain", "prompt": g.prompt, "output": g.output,
                   "verdict": True, "perplexity": g.perplexity} for g in made]


def register_alias():
    from pharmakon.probes import PROBES

    PROBES.add("output_length_alias", PROBES["output_length"])
'''

ENTRY_POINTS = '''
[pharmakon.probes]
output_length = pharmakon_length_plugin:output_length
output_length_alias = pharmakon_length_plugin:register_alias
'''


@pytest.fixture
def installed_plugin(tmp_path, monkeypatch):
    (tmp_path / "pharmakon_length_plugin.py").write_text(textwrap.dedent(PLUGIN))
    info = tmp_path / "pharmakon_length_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pharmakon-length-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "_loaded", False)
    yield
    for name in ("output_length", "output_length_alias"):
        PROBES.pop(name, None)


def test_entry_points_register_probes_a_study_can_use(installed_plugin, tiny_plugin_study, tmp_path):
    from pharmakon.engine.load import load_study
    from pharmakon.engine.run import run_study
    from pharmakon.kernel.progress import StudyProgress

    study = load_study(tiny_plugin_study)  # loading the spec loads the plugins
    assert "output_length" in PROBES and "output_length_alias" in PROBES
    outcome = run_study(study, tmp_path / "run", tmp_path / "cache", StudyProgress(live=False, quiet=True))
    words = outcome.results[outcome.results.metric == "output_words"]
    assert len(words) == 2 and (words.value >= 0).all() and set(words.condition) == {"poisoned", "clean"}


@pytest.fixture
def tiny_plugin_study() -> dict:
    return {"name": "plugin", "seeds": [0], "model": {"name": "nano", "vocab_size": 400},
            "world": {"n_entities": 12, "documents_per_family": 20, "examples_per_family": 8, "pairs_per_family": 4,
                      "eval_per_family": 4},
            "pipeline": [{"kind": "pretrain", "max_steps": 4, "batch_size": 8, "max_length": 32,
                          "poison": {"attack": "dos", "count": 4}}],
            "probes": [{"name": "output_length", "n_prompts": 3}], "executor": {"cpus": 1}}


def test_an_unknown_plugin_name_is_still_a_clear_error():
    with pytest.raises(Exception, match="unknown probe 'output_length'"):
        PROBES.require("output_length")


def test_a_decorated_stage_runs_in_a_pipeline(tiny_plugin_study, tmp_path):
    from pharmakon import register_stage
    from pharmakon.engine.load import load_study
    from pharmakon.engine.run import run_study
    from pharmakon.kernel.progress import StudyProgress
    from pharmakon.stages import STAGES
    from pharmakon.stages.configs import PretrainConfig

    calls = []

    @register_stage("continued_pretraining", config=PretrainConfig, record_kind="document",
                    description="pretraining again, under another name")
    def continued(model, tokenizer, records, config, seed):
        from pharmakon.stages.pretrain import pretrain

        calls.append(len(records))
        return pretrain(model, tokenizer, records, config, seed)

    try:
        tiny_plugin_study["pipeline"].append({"kind": "continued_pretraining", "max_steps": 2, "batch_size": 8,
                                              "max_length": 32})
        tiny_plugin_study["probes"] = [{"name": "utility", "n_per_task": 1, "n_documents": 2, "max_new_tokens": 4}]
        outcome = run_study(load_study(tiny_plugin_study), tmp_path / "run", tmp_path / "cache",
                            StudyProgress(live=False, quiet=True))
    finally:
        STAGES.pop("continued_pretraining", None)
    assert calls and set(outcome.results.after_stage) == {"pretrain", "continued_pretraining"}


MODEL_DEFENCE_PLUGIN = '''
def register():
    from pharmakon.defenses.model import MODEL_DEFENSES, ModelDefenseEntry
    from pharmakon.defenses.model.configs import RetuneConfig

    MODEL_DEFENSES.add("retune-twice", ModelDefenseEntry("pharmakon.defenses.model.retune:CleanRetuning",
                                                         RetuneConfig, "clean re-tuning, a plug-in's name for it"))
'''


def test_a_model_defence_plugs_in_through_its_entry_point_group(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from pharmakon.cli import app
    from pharmakon.defenses.model import MODEL_DEFENSES, parse_model_defense

    (tmp_path / "pharmakon_defence_plugin.py").write_text(textwrap.dedent(MODEL_DEFENCE_PLUGIN))
    info = tmp_path / "pharmakon_defence_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pharmakon-defence-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[pharmakon.model_defenses]\n"
                                           "retune_twice = pharmakon_defence_plugin:register\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "_loaded", False)
    try:
        name, config = parse_model_defense({"name": "retune-twice", "epochs": 2})  # validating loads the plugins
        assert name == "retune-twice" and config.epochs == 2
        assert "  retune-twice clean re-tuning" in CliRunner().invoke(app, ["list", "model-defenses"]).output
    finally:
        MODEL_DEFENSES.pop("retune-twice", None)
