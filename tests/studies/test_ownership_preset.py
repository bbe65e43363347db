"""The ownership preset: its default plans with three seeds and states question, anchor and finding; at test
scale (nano, a tiny world) the owners' watermarks are found in the model trained on them and not in its clean
twin, and the backdoor watermark's response gains probability with the secret trigger only where it was planted."""

import pytest

from pharmakon.engine.load import load_study
from pharmakon.engine.plan import plan_study
from pharmakon.studies import state_finding

# SFT 150 steps (250 before): the backdoor watermark's gain after SFT 0.44 vs 0.0002 on its clean twin (seed 0);
# pretraining 200 steps as well left seed 0 a gain of 0.25, too close to the 0.2 the test asks for
TINY = {"model.name": "nano", "model.vocab_size": 400, "seeds": [0], "executor.cpus": 2,
        "world": {"n_entities": 12, "documents_per_family": 40, "examples_per_family": 40, "pairs_per_family": 12,
                  "eval_per_family": 20},
        "pipeline.pretrain.max_steps": 100, "pipeline.pretrain.max_length": 64, "pipeline.pretrain.batch_size": 16,
        "pipeline.continued.max_steps": 300, "pipeline.continued.max_length": 64,
        "pipeline.continued.batch_size": 16, "pipeline.continued.learning_rate": 5.0e-3,
        "pipeline.continued.data": {}, "pipeline.sft.data": {}, "pipeline.dpo.data": {},
        "pipeline.finetune.data": {"families": ["sentiment", "arithmetic"]},
        "pipeline.sft.max_steps": 150, "pipeline.sft.batch_size": 16, "pipeline.sft.learning_rate": 5.0e-3,
        "pipeline.sft.poison.count": 30, "pipeline.dpo.max_steps": 2, "pipeline.finetune.max_steps": 2,
        "sweep.arms": {"survival": {"pipeline.continued.poison.count": 16},
                       "n4-l10": {"pipeline.continued.poison.count": 4, "pipeline.sft.skip": True,
                                  "pipeline.dpo.skip": True, "pipeline.finetune.skip": True}},
        "probes": [{"name": "watermark", "after": ["continued", "sft"], "nulls": 300, "null_trials": 100},
                   {"name": "dvbw", "after": ["sft", "dpo", "finetune"], "n_prompts": 30},
                   {"name": "utility", "after": ["finetune"], "n_per_task": 2, "n_documents": 4,
                    "max_new_tokens": 6}]}


def test_the_default_states_its_question_anchor_and_runs_three_seeds():
    study = load_study("ownership")
    assert study.question and study.anchor and study.finding == "ownership" and len(study.seeds) >= 3
    assert {p.name for p in study.probes} >= {"watermark", "dvbw", "utility"}
    plan_study(study)


@pytest.mark.slow
def test_watermarks_are_found_where_planted_and_not_in_the_clean_twin(tmp_path):
    from pharmakon.engine.run import run_study
    from pharmakon.kernel.progress import StudyProgress

    study = load_study("ownership", TINY)
    results = run_study(study, tmp_path / "run", None, StudyProgress(live=False, quiet=True)).results
    value = results.set_index(["arm", "after_stage", "probe", "metric", "condition"])["value"].sort_index()
    z = value.loc[("survival", "continued", "watermark", "wm_z")]
    assert z["poisoned"] > z["clean"] + 1.0, z
    gain = value.loc[("survival", "sft", "dvbw", "dvbw_gain")]
    assert gain["poisoned"] > 0.2 > gain["clean"], gain
    assert value.loc[("survival", "sft", "dvbw", "dvbw_detected", "poisoned")] == 1.0
    assert value.loc[("survival", "sft", "dvbw", "dvbw_detected", "clean")] == 0.0
    finding = state_finding("ownership", results, study.model_dump(mode="json"))
    assert "N=4, L=10" in finding and "Survival arm" in finding and "nan" not in finding.split()
