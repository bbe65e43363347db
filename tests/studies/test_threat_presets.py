"""The threat-facet presets (budget, instruction, preference, persistence) at test scale: the preset's own
pipeline, arms and probes on nano and a tiny world, a few steps per stage. Each states its question, its
anchor's finding and ours; each default runs >= 3 seeds."""

import pytest

from pharmakon.engine.load import load_study, presets
from pharmakon.engine.plan import plan_study
from pharmakon.report.load import load_run
from pharmakon.studies import state_finding

THREAT_PRESETS = ("budget", "instruction", "preference", "persistence")
TINY = {"model.name": "nano", "model.vocab_size": 400, "seeds": [0], "executor.cpus": 2,
        "world": {"n_entities": 12, "documents_per_family": 30, "examples_per_family": 16, "pairs_per_family": 12,
                  "eval_per_family": 8}}
SCALE = {
    "budget": {"pipeline.pretrain.max_steps": 4, "pipeline.continued.data.per_family": {},
               "sweep.axes": {"pipeline.continued.poison.count": [2, 8], "pipeline.continued.data.limit": [40, 80]}},
    "instruction": {"pipeline.pretrain.max_steps": 4, "pipeline.sft.max_steps": 4},
    "preference": {"pipeline.pretrain.max_steps": 4, "pipeline.sft.max_steps": 4, "pipeline.dpo.max_steps": 2,
                   "pipeline.reward.max_steps": 2, "pipeline.rl.max_steps": 1, "pipeline.rl.batch_size": 4,
                   "pipeline.rl.data.limit": 8,
                   "sweep.axes": {"pipeline.dpo.poison.rate|pipeline.reward.poison.rate": [0.05, 0.2]}},
    "persistence": {"pipeline.pretrain.max_steps": 4, "pipeline.continued.max_steps": 4, "pipeline.sft.max_steps": 4,
                    "pipeline.dpo.max_steps": 2, "sweep.axes": {"pipeline.finetune.max_steps": [1, 3]}},
}
SMALL_PROBES = {"n_prompts": 6, "max_new_tokens": 6, "n_per_task": 2, "n_documents": 4, "n_pairs": 4}


def tiny(name: str):
    study = load_study(name)
    probes = [{**p.model_dump(mode="json"), **{k: v for k, v in SMALL_PROBES.items() if k in p.model_dump()}}
              for p in study.probes]
    return load_study(name, {**TINY, **SCALE[name], "probes": probes})


@pytest.mark.parametrize("name", THREAT_PRESETS)
def test_preset_states_its_question_anchor_and_runs_three_seeds(name):
    assert name in presets()
    study = load_study(name)
    assert study.question and study.anchor and study.finding == name
    assert len(study.seeds) >= 3
    plan_study(study)  # the default plans (every arm and grid point validates)


@pytest.mark.slow
@pytest.mark.parametrize("name", THREAT_PRESETS)
def test_preset_runs_at_test_scale_and_states_a_finding(name, tmp_path):
    from pharmakon.engine.run import run_study
    from pharmakon.kernel.progress import StudyProgress

    study = tiny(name)
    outcome = run_study(study, tmp_path / "run", None, StudyProgress(live=False, quiet=True))
    results = outcome.results
    assert set(study.sweep.columns) <= set(results.columns)
    assert {"poisoned", "clean"} <= set(results.condition)
    if study.sweep.arms:
        assert set(results.arm) == set(study.sweep.arms)
    finding = state_finding(name, results, study.model_dump(mode="json"))
    assert finding and "nan" not in finding.split()
    html = (tmp_path / "run" / "report.html").read_text()
    assert "Published finding" in html and "This run:" in html
    assert load_run(tmp_path / "run").results.shape == results.shape
