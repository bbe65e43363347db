"""The real-inference preset: inference-time attacks on SmolLM2-135M-Instruct as given (no stage; every probe
reads the starting model). Its default plans 7 arms × 3 seeds × 2 conditions on one converted model, and at test
scale it runs and states its finding in numbers."""

import re

import pytest

from pharmakon.engine.load import load_study, presets
from pharmakon.engine.plan import plan_study
from pharmakon.studies import state_finding

NAME = "real-inference"
ARMS = {"poisoned-rag-1", "poisoned-rag-3", "poisoned-rag-5", "agent-poison-1", "agent-poison-3", "badchain-1",
        "badchain-4"}


def small(arm: dict) -> dict:
    probe = dict(arm["probes"][0], n_per_task=1, n_documents=2, max_new_tokens=4)
    probe["adaptation"] = {**probe["adaptation"], "poison": {**probe["adaptation"]["poison"], "n_prompts": 2}}
    return {"probes": [probe]}


def test_the_default_probes_the_real_model_as_given():
    assert NAME in presets()
    study = load_study(NAME)
    assert study.question and study.anchor and study.finding == "inference" and not study.pipeline
    assert len(study.seeds) >= 3 and study.model.name == "smollm2-135m-instruct" and set(study.sweep.arms) == ARMS
    plan = plan_study(study)
    kinds = [node.kind for node in plan.nodes.values()]
    assert kinds.count("convert") == 1 and "stage" not in kinds
    assert kinds.count("probe") == len(ARMS) * 3 * 2
    assert {m.after_stage for m in plan.measurements} == {"base"}


@pytest.mark.slow
def test_the_preset_runs_at_test_scale(tmp_path):
    from pharmakon.engine.run import run_study
    from pharmakon.kernel.progress import StudyProgress

    spec = load_study(NAME).model_dump(mode="json")
    arms = {name: small(arm) for name, arm in spec["sweep"]["arms"].items() if name == "poisoned-rag-3"}
    study = load_study(NAME, {"seeds": [0], "world": {"n_entities": 12, "documents_per_family": 20,
                                                      "examples_per_family": 8, "eval_per_family": 4},
                              "probes": arms["poisoned-rag-3"]["probes"], "sweep": {"arms": arms}})
    results = run_study(study, tmp_path / "run", None, StudyProgress(live=False, quiet=True)).results
    assert set(results.arm) == set(arms) and set(results.condition) == {"poisoned", "clean"}
    assert set(results.after_stage) == {"base"}
    rag = results[(results.probe == "poisoned-rag") & (results.metric == "retrieval_trigger")]
    assert rag[rag.condition == "poisoned"]["value"].mean() > rag[rag.condition == "clean"]["value"].mean()
    finding = state_finding("inference", results, study.model_dump(mode="json"))
    assert "poisoned-rag" in finding and "nan" not in finding.split()
    assert len(re.findall(r"\d\.\d\d", finding)) >= 3
