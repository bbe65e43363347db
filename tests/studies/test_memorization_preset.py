"""The memorisation preset: its default plans (>= 3 seeds, question, anchor, finding), and at test scale (nano, a
tiny world, one seed, a few dozen steps) canaries inserted often are more exposed in the poisoned model than in
its clean twin, and the finding states numbers."""

import re

import pytest

from pharmakon.engine.load import load_study, presets
from pharmakon.engine.plan import plan_study
from pharmakon.studies import FINDINGS, state_finding

TINY = {"model.name": "nano", "model.vocab_size": 400, "seeds": [0], "executor.cpus": 2,
        "world": {"n_entities": 12, "documents_per_family": 30, "examples_per_family": 16, "pairs_per_family": 12,
                  "eval_per_family": 8},
        "pipeline.pretrain.max_steps": 60, "pipeline.pretrain.poison.insertions": [1, 10, 100],
        "sweep.axes": {"model.name": ["nano"]},
        "sweep.arms": {"base": {"pipeline.pretrain.poison.rarity": "frequent"},
                       "rare": {"pipeline.pretrain.poison.rarity": "rare"}},
        "probes": [{"name": "exposure", "n_samples": 300}]}


def test_the_default_plans_with_three_seeds_and_states_its_question():
    assert "memorization" in presets() and "memorization" in FINDINGS
    study = load_study("memorization")
    assert study.question and study.anchor and study.finding == "memorization"
    assert len(study.seeds) >= 3
    assert study.pipeline[0].poison.attack == "canary"
    assert set(study.sweep.arms) == {"base", "rare", "long", "nested"}
    assert study.sweep.axes["model.name"] == ["nano", "micro"]
    plan = plan_study(study)
    assert len(plan.points) == 8
    # the clean twin is pretrained once per size and seed, whatever the arm
    assert sum(node.kind == "stage" for node in plan.nodes.values()) == 8 * 3 + 2 * 3


@pytest.mark.slow
def test_memorization_runs_at_test_scale_and_canaries_are_exposed(tmp_path):
    from pharmakon.engine.run import run_study
    from pharmakon.kernel.progress import StudyProgress

    study = load_study("memorization", TINY)
    results = run_study(study, tmp_path / "run", None, StudyProgress(live=False, quiet=True)).results
    assert {"poisoned", "clean"} <= set(results.condition) and set(results.arm) == {"base", "rare"}
    exposure = results[results["probe"] == "exposure"]
    means = exposure.pivot_table(index="metric", columns="condition", values="value", aggfunc="mean")
    assert means.loc["exposure_100", "poisoned"] > means.loc["exposure_100", "clean"] + 2.0, means
    # a never-seen secret sits near 1/ln 2 = 1.44 bits; the clean twin's figure stays far from the maximum
    assert means.loc["exposure_100", "clean"] < 5.0
    assert any(m.startswith("fact_exposure_norm_") for m in means.index)
    finding = state_finding("memorization", results, study.model_dump(mode="json"))
    assert "nan" not in finding.split() and "bits per decade" in finding and "rare" in finding
    assert len(re.findall(r"\d+\.\d\d", finding)) >= 10
    assert (tmp_path / "run" / "report.html").exists()
