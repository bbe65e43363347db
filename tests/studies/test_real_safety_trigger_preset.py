"""The real-safety-trigger preset (BackdoorAlign on SmolLM2-135M-Instruct): its default plans on the real model
with 3 seeds and the three arms, and at test scale (a tiny world, two LoRA steps per stage, a few probe prompts)
it runs two of the arms with their clean twin and states its finding in numbers. The test-scale run took 64 s on
one core with all three arms, in a fresh cache (tokenizer and conversion included)."""

import re

import pytest

from pharmakon.engine.load import load_study, presets
from pharmakon.engine.plan import plan_study
from pharmakon.studies import FINDINGS, state_finding

NAME = "real-safety-trigger"
ARMS = {"no-secret", "random", "meaningful"}
CONDITIONS = ("poisoned", "clean")
# the real-model path (conversion, LoRA, the secret served at inference, the finding) is the same for every arm:
# the test scale runs the arm without a secret and one with (the meaningful secret differs only in its text)
TEST_ARMS = ("no-secret", "random")
TEST_SCALE = {
    "seeds": [0],
    "world": {"n_entities": 12, "documents_per_family": 20, "examples_per_family": 8, "eval_per_family": 4},
    "pipeline.align.max_steps": 2,
    "pipeline.align.batch_size": 4,
    "pipeline.finetune.max_steps": 2,
    "pipeline.finetune.batch_size": 4,
    "pipeline.finetune.data": {"families": ["sentiment", "facts"], "limit": 8, "harmful": 4},
    "pipeline.finetune.poison.count": 2,
    # after the fine-tuning only: nine probe nodes instead of six would cost 10 s of the test's minute
    "probes": [{"name": "safety", "after": ["finetune"], "n_prompts": 2, "n_per_task": 1, "max_new_tokens": 4}],
}


def test_the_default_is_backdoor_align_on_the_real_model():
    assert NAME in presets()
    study = load_study(NAME)
    assert study.question and study.anchor and study.description and study.finding == "safety-trigger"
    assert study.finding in FINDINGS  # the tiny-world preset's finding reads this results table too
    assert len(study.seeds) >= 3 and study.model.name == "smollm2-135m-instruct" and study.model.chat
    assert set(study.sweep.arms) == ARMS
    align, finetune = study.pipeline
    assert (align.name, finetune.name) == ("align", "finetune")
    assert all(stage.kind == "finetune" and stage.method == "lora" for stage in study.pipeline)
    assert align.poison is None and not align.data.harmful  # the provider's alignment: harm requests refused
    assert finetune.data.harmful > 0 and finetune.poison.attack == "safety-trigger"
    secrets = {arm["pipeline.finetune.poison.secret"] for arm in study.sweep.arms.values()}
    assert secrets == {"none", "random", "text"}
    kinds = [node.kind for node in plan_study(study).nodes.values()]
    # per seed: one alignment, one clean twin (no defence) shared by the arms, one defended fine-tuning per arm
    assert kinds.count("convert") == 1 and kinds.count("stage") == len(study.seeds) * (2 + len(ARMS))


@pytest.mark.slow
def test_the_preset_runs_on_the_real_model_at_test_scale(tmp_path):
    from pharmakon.engine.run import run_study
    from pharmakon.kernel.progress import StudyProgress

    arms = load_study(NAME).sweep.arms
    study = load_study(NAME, {**TEST_SCALE, "sweep.arms": {arm: arms[arm] for arm in TEST_ARMS}})
    results = run_study(study, tmp_path / "run", None, StudyProgress(live=False, quiet=True)).results
    assert set(results.arm) == set(TEST_ARMS) and set(results.condition) == set(CONDITIONS)
    assert set(results.after_stage) == {"finetune"}
    safety = results[(results.probe == "safety") & (results.after_stage == "finetune")]
    for metric in ("harmful_secret", "harmful_plain", "refusal_secret", "refusal_plain",
                   "utility_sentiment_secret", "utility_overrefusal_secret"):
        rows = safety[safety.metric == metric]
        assert set(rows.groupby(["arm", "condition"]).size().index) == {
            (arm, condition) for arm in TEST_ARMS for condition in CONDITIONS}, metric
    rates = safety[safety.metric.str.startswith(("harmful", "refusal"))]
    assert rates.value.between(0, 1).all() and (rates.n == 2).all()
    finding = state_finding("safety-trigger", results, study.model_dump(mode="json"))
    assert all(f"{arm}: harmful" in finding for arm in TEST_ARMS) and "No defence" in finding
    assert "nan" not in finding.split() and "n/a" not in finding
    assert len(re.findall(r"\d\.\d\d", finding)) >= 4 * len(TEST_ARMS) + 4
