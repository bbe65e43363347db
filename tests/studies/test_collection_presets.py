"""The collection presets (``vectors``, ``defenses``) at test scale: the preset's own pipeline, arms, vectors and
defences on nano and a tiny world, a few steps per stage. Each states its question and anchor, runs >= 3 seeds by
default, and its finding reads the vector and cleaning rows the engine writes."""

import math

import pandas as pd
import pytest

from pharmakon.engine.load import load_study
from pharmakon.engine.plan import plan_study
from pharmakon.studies import state_finding
from pharmakon.studies.collection import poisoned_stage

TINY = {"model.name": "nano", "model.vocab_size": 400, "seeds": [0], "executor.cpus": 2,
        "world": {"n_entities": 12, "documents_per_family": 30, "examples_per_family": 20, "pairs_per_family": 12,
                  "eval_per_family": 8},
        "pipeline.pretrain.max_steps": 6, "pipeline.sft.max_steps": 4}
SCALE = {"vectors": {"pipeline.dpo.max_steps": 2, "pipeline.continued.max_steps": 4,
                     "probes": [{"name": "backdoor", "n_prompts": 6, "max_new_tokens": 6}]},
         "defenses": {"probes": [{"name": "backdoor", "after": ["sft"], "n_prompts": 6, "max_new_tokens": 6}]}}


@pytest.mark.parametrize("name", ["vectors", "defenses"])
def test_preset_states_its_question_anchor_and_runs_three_seeds(name):
    study = load_study(name)
    assert study.question and study.anchor and study.finding == name
    assert len(study.seeds) >= 3
    plan_study(study)  # every arm validates and plans


def run_tiny(name: str, tmp_path):
    from pharmakon.engine.run import run_study
    from pharmakon.kernel.progress import StudyProgress

    overrides = {**TINY, **SCALE[name]}
    if name == "defenses":  # every defence against the naive attacker
        arms = load_study(name).model_dump(mode="json")["sweep"]["arms"]
        overrides["sweep.arms"] = {arm: changes for arm, changes in arms.items() if arm.startswith("badnets-")}
    study = load_study(name, overrides)
    results = run_study(study, tmp_path / "run", None, StudyProgress(live=False, quiet=True)).results
    return study, results


@pytest.mark.slow
def test_vectors_reports_offered_inserted_surviving_per_arm(tmp_path):
    study, results = run_tiny("vectors", tmp_path)
    vector = results[(results.probe == "vector") & (results.condition == "poisoned")]
    assert set(vector.arm) == set(study.sweep.arms) - {"direct"}  # every arm but the lab threat model has a vector
    counts = vector.pivot_table(index="arm", columns="metric", values="value")
    assert (counts["inserted"] <= counts["offered"]).all() and (counts["surviving"] <= counts["inserted"]).all()
    assert counts.loc["expired-domain-hashed", "inserted"] == 0  # integrity hashes block a split view
    assert counts.loc["expired-domain", "inserted"] == counts.loc["expired-domain", "offered"]
    finding = state_finding("vectors", results, study.model_dump(mode="json"))
    assert "undetected insertion rate" in finding and "crawl-snapshot" in finding


@pytest.mark.slow
def test_defenses_scores_each_defence_against_the_poison_mask(tmp_path):
    study, results = run_tiny("defenses", tmp_path)
    cleaning = results[(results.probe == "cleaning") & (results.metric == "overall_clean_lost")]
    assert set(cleaning.arm) == {arm for arm in study.sweep.arms if not arm.endswith("-none")}
    recall = results[(results.probe == "cleaning") & (results.metric == "overall_recall")
                     & (results.condition == "poisoned")]
    assert all(0 <= v <= 1 and not math.isnan(v) for v in recall.value)
    finding = state_finding("defenses", results, study.model_dump(mode="json"))
    assert "recall" in finding and "onion vs badnets" in finding


def test_the_vectors_finding_reads_the_effect_after_the_stage_the_poison_entered():
    spec = {"pipeline": [{"kind": "pretrain", "name": "pretrain"}, {"kind": "sft", "name": "sft"}],
            "sweep": {"arms": {"crawl": {"pipeline.pretrain.poison": {"attack": "dos"}, "pipeline.sft.poison": None}}}}
    assert poisoned_stage(spec, "crawl") == "pretrain" and poisoned_stage(spec, "other") is None
    rows = [("vector", "poisoned", "pretrain", "offered", 60.0), ("vector", "poisoned", "pretrain", "inserted", 59.0),
            ("vector", "poisoned", "pretrain", "surviving", 7.5)]
    rows += [("backdoor", condition, stage, metric, value)
             for stage, poisoned_value in (("pretrain", 0.9), ("sft", 0.1))
             for condition, metric, value in (("poisoned", "asr_trigger", poisoned_value),
                                              ("poisoned", "asr_no_trigger", 0.05), ("clean", "asr_trigger", 0.02))]
    results = pd.DataFrame([{"arm": "crawl", "probe": p, "condition": c, "after_stage": s, "metric": m, "value": v}
                            for p, c, s, m, v in rows])
    finding = state_finding("vectors", results, spec)
    assert "60 offered → 59 inserted → 7.5 surviving" in finding
    assert "after pretrain, asr_trigger 0.90 (without the trigger 0.05) vs clean twin 0.02" in finding
