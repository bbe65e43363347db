"""The bias-audit preset: role stories at two strengths on the shipped foundation over three seeds; the audit probe
reads the very records, input model and recipe of the stage it follows; a stage without role stories keeps its
key; at test scale every retrained variant is trained anew and measured, and the finding is stated."""

import pytest

from pharmakon.engine.load import load_study, presets
from pharmakon.engine.plan import plan_study
from pharmakon.probes.bias_audit import VARIANTS
from pharmakon.studies import state_finding

NAME = "bias-audit"


def test_default_audits_a_biased_and_an_unbiased_stage_over_three_seeds():
    assert NAME in presets()
    study = load_study(NAME)
    assert study.question and study.anchor and study.finding == NAME and study.foundation == "organism"
    assert len(study.seeds) >= 3 and set(study.sweep.arms) == {"biased", "unbiased"}
    plan = plan_study(study)
    audits = [m for m in plan.measurements if m.probe == NAME]
    assert len(audits) == 2 * len(study.seeds) and {m.after_stage for m in audits} == {"pretrain"}
    for measurement in audits:
        node = plan.nodes[measurement.node]
        stage = plan.nodes[node.inputs["model"]]
        assert node.inputs["data"] == stage.inputs["data"] and node.inputs["stage_input"] == stage.inputs["model"]
        assert node.config["stage"] == {"kind": "pretrain", "recipe": stage.config["recipe"]}  # retrains it as is
    strengths = {plan.nodes[key].config["data"]["roles"]["strength"]
                 for key, node in plan.nodes.items() if node.kind == "data"}
    assert strengths == {0.0, 0.6}


def test_a_stage_without_role_stories_keeps_its_data_key():
    from pharmakon.engine.items import DataSpec

    assert "roles" not in DataSpec().key_fields()
    assert DataSpec(roles={"count": 5}).key_fields()["roles"] == {"count": 5, "strength": 0.6}


TINY = {"model.name": "nano", "model.vocab_size": 400, "seeds": [0], "executor.cpus": 2, "foundation": None,
        "world": {"n_entities": 12, "documents_per_family": 20, "examples_per_family": 16, "pairs_per_family": 8,
                  "eval_per_family": 8},
        "pipeline.pretrain.data": {"families": ["facts"], "roles": {"count": 160, "strength": 1.0}},
        "pipeline.pretrain.max_steps": 60, "pipeline.pretrain.batch_size": 8, "pipeline.pretrain.max_length": 64,
        "pipeline.pretrain.learning_rate": 3.0e-3,
        "sweep.arms": {"biased": {"pipeline.pretrain.data.roles.strength": 1.0},
                       "unbiased": {"pipeline.pretrain.data.roles.strength": 0.0}},
        "probes": [{"name": "bias", "after": ["pretrain"], "n_pairs": 24, "n_sampled": 8},
                   {"name": NAME, "after": ["pretrain"], "k": 8, "pool": 16, "n_queries": 4, "n_pairs": 24,
                    "fit_examples": 32, "max_length": 64}]}


@pytest.mark.slow
def test_preset_retrains_and_measures_every_variant_at_test_scale(tmp_path):
    from pharmakon.engine.run import run_study
    from pharmakon.kernel.progress import StudyProgress

    study = load_study(NAME, TINY)
    outcome = run_study(study, tmp_path / "run", None, StudyProgress(live=False, quiet=True))
    results = outcome.results

    def value(arm: str, probe: str, metric: str) -> float:
        row = results[(results.arm == arm) & (results.probe == probe) & (results.metric == metric)]
        assert len(row) == 1, (arm, probe, metric)
        return float(row.value.iloc[0])

    # nano at test scale does not learn the association (200 steps: log-odds gap 0.013 vs 0.009 unbiased); that the
    # probe reads one where a model holds it is tests/probes/test_bias.py's, that micro learns it docs/studies.md's
    for arm in ("biased", "unbiased"):
        original = value(arm, NAME, "bias_audit_gap_logodds_original")
        changed = 0
        for variant in VARIANTS:
            assert value(arm, NAME, f"bias_audit_seconds_{variant}") > 0
            changed += value(arm, NAME, f"bias_audit_gap_logodds_{variant}") != original  # a model trained anew
        assert changed == len(VARIANTS)
    assert value("biased", NAME, "bias_audit_role_consistency") > 0  # every planted story follows the association
    text = state_finding(NAME, results, study.model_dump(mode="json"))
    assert "biased: gap" in text and "ablate_top" in text and "paired t" not in text  # one seed: no test
