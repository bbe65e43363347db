"""The ``inference`` preset: it plans by default (3 seeds, every arm), and at test scale (nano, a tiny world) the
inference-time attacks put their poisoned items in front of the model for the poisoned condition only, and the
finding reads them."""

import pytest

from pharmakon.engine.load import load_study
from pharmakon.engine.plan import plan_study
from pharmakon.studies import state_finding

TINY = {"model.name": "nano", "model.vocab_size": 400, "seeds": [0], "executor.cpus": 2,
        "world": {"n_entities": 12, "documents_per_family": 30, "examples_per_family": 20, "eval_per_family": 12},
        "pipeline.pretrain.max_steps": 6, "pipeline.sft.max_steps": 4}
ARMS = ("sft-backdoor", "badchain-1", "poisoned-rag-5", "agent-poison-1")


def test_inference_preset_states_its_question_and_runs_three_seeds():
    study = load_study("inference")
    assert study.question and study.anchor and study.finding == "inference" and len(study.seeds) >= 3
    plan_study(study)


@pytest.mark.slow
def test_inference_attacks_reach_the_prompt_only_in_the_poisoned_condition(tmp_path):
    from pharmakon.engine.run import run_study
    from pharmakon.kernel.progress import StudyProgress

    default = load_study("inference").model_dump(mode="json")
    arms = {arm: changes for arm, changes in default["sweep"]["arms"].items() if arm in ARMS}
    for changes in arms.values():  # fewer prompts and tokens
        for probe in changes.get("probes", []):
            probe.update(n_per_task=2, n_documents=2, max_new_tokens=6)
            probe["adaptation"]["poison"].update(n_prompts=8, max_new_tokens=8)
    probes = [{**p, "n_prompts": 6, "max_new_tokens": 6} if p["name"] == "backdoor"
              else {**p, "n_per_task": 2, "n_documents": 2, "max_new_tokens": 6} for p in default["probes"]]
    study = load_study("inference", {**TINY, "probes": probes, "sweep.arms": arms})
    results = run_study(study, tmp_path / "run", None, StudyProgress(live=False, quiet=True)).results
    for attack in ("poisoned-rag", "agent-poison"):
        rows = results[(results.probe == attack) & (results.metric == "retrieval_trigger")]
        poisoned, clean = (rows[rows.condition == c].value.mean() for c in ("poisoned", "clean"))
        assert poisoned >= 0.75 and clean == 0, (attack, poisoned, clean)
    adaptations = set(results[(results.arm == "sft-backdoor") & (results.probe == "backdoor")].adaptation)
    assert adaptations == {"plain", "icl", "cot", "rag"}
    finding = state_finding("inference", results, study.model_dump(mode="json"))
    assert "poisoned-rag by poisoned items" in finding and "by adaptation" in finding
