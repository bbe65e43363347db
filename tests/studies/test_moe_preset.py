"""The moe preset: a dense model and its mixture-of-experts twin, backdoored alike; routing and expert ablation
planned only where there are experts; the preset at test scale; its finding on a hand-built table."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from pharmakon.engine.load import load_study
from pharmakon.engine.plan import plan_study
from pharmakon.errors import PharmakonError
from pharmakon.studies.moe import ablation_line

TEST_SCALE = {
    "seeds": [0],
    "model": {"name": "nano", "vocab_size": 512},
    "world": {"n_entities": 12, "documents_per_family": 60, "examples_per_family": 40, "pairs_per_family": 24,
              "eval_per_family": 12},
    "pipeline.pretrain.max_steps": 30, "pipeline.pretrain.data.per_family": None,
    "pipeline.pretrain.data.chat_examples": None,
    "pipeline.sft.max_steps": 12, "pipeline.sft.data.per_family": None, "pipeline.sft.poison.count": 12,
    "sweep.axes": {"model.name": ["nano", "nano-moe"]},
    "probes.backdoor.n_prompts": 8, "probes.backdoor.max_new_tokens": 8,
    "probes.utility.n_per_task": 3, "probes.utility.n_documents": 4, "probes.utility.max_new_tokens": 8,
    "probes.routing.n_prompts": 8, "probes.routing.bootstrap": 20,
    **{f"probes.ablation-{kind}.{field}": value for kind in ("heads", "experts")
       for field, value in (("ks", [0, 1, 2]), ("n_prompts", 8), ("n_attribution", 4), ("n_per_task", 3),
                            ("n_documents", 4), ("max_new_tokens", 8))},
}


def test_router_and_expert_probes_are_planned_only_on_the_moe_twin():
    plan = plan_study(load_study("moe", overrides={"seeds": [0]}))
    assert [p.study.model.name for p in plan.points] == ["micro", "micro-moe"]
    kinds = {}
    for node in plan.nodes.values():
        if node.kind == "probe":
            kinds.setdefault(node.config["probe"], []).append(node.config["config"].get("units"))
    assert len(kinds["routing"]) == 2  # the MoE's backdoored model and its clean twin
    assert sorted(map(tuple, kinds["ablation"])) == [("experts",)] * 2 + [("heads",)] * 4


def test_a_router_probe_on_a_study_with_no_moe_model_is_refused():
    with pytest.raises(PharmakonError, match=r"^probes.routing: the model has no router"):
        plan_study(load_study("moe", overrides={"seeds": [0], "sweep.axes": {"model.name": ["micro"]}}))
    with pytest.raises(PharmakonError, match=r"^probes.ablation-experts: units: experts need a mixture-of-experts"):
        plan_study(load_study("moe", overrides={"seeds": [0], "sweep.axes": {"model.name": ["micro"]},
                                                "probes": [{"name": "ablation", "id": "ablation-experts",
                                                            "units": ["experts"]}]}))


@pytest.mark.slow
def test_the_moe_preset_at_test_scale_measures_routing_and_ablation_where_they_apply(tmp_path):
    from pharmakon.engine.run import run_study
    from pharmakon.studies import state_finding

    study = load_study("moe", overrides=TEST_SCALE)
    outcome = run_study(study, out=tmp_path / "run", cache=tmp_path / "cache")
    results = pd.read_parquet(outcome.run_dir / "results.parquet")
    by_model = {model: set(rows.metric) for model, rows in results.groupby("model.name")}
    assert "routing_tv" in by_model["nano-moe"] and "routing_tv" not in by_model["nano"]
    assert "ablation_units_experts" in by_model["nano-moe"] and "ablation_units_experts" not in by_model["nano"]
    for model in ("nano", "nano-moe"):
        assert {"ablation_units_heads", "ablation_asr_trigger_heads_random_k2", "asr_trigger"} <= by_model[model]
    assert "ablation_asr_trigger_experts_routing_k2" in by_model["nano-moe"]
    units = results[results.metric == "ablation_units_experts"].value
    assert (units == 8).all()  # 4 experts in each of 2 layers
    routing = results[results.metric == "routing_tv"].value
    assert routing.between(0, 1).all() and len(routing) == 2
    text = state_finding("moe", results, study.model_dump(mode="json"))
    assert "nano: clean twin" in text and "nano-moe: clean twin" in text and "routing in nano-moe" in text
    assert "nano-moe, 8 experts" in text and "nano, 8 heads" in text and not re.search(r"\bnan\b", text)


def test_the_ablation_line_finds_the_smallest_share_that_cuts_attack_success_by_ninety_percent():
    rows = []
    asr = {("attribution", 0): 0.9, ("attribution", 1): 0.5, ("attribution", 2): 0.05,
           ("routing", 1): 0.9, ("routing", 2): 0.85, ("random", 1): 0.85, ("random", 2): 0.8}
    for seed, noise in enumerate((0.0, 0.02, -0.02)):
        rows.append({"metric": "ablation_units_experts", "value": 16.0, "seed": seed})
        for (selection, k), value in asr.items():
            for metric, v in [("asr_trigger", value + noise),
                              *((f"utility_{t}", 0.8 - k / 10) for t in ("sentiment", "arithmetic", "facts",
                                                                         "refusal"))]:
                rows.append({"metric": f"ablation_{metric}_experts_{selection}_k{k}", "value": v, "seed": seed})
    line = ablation_line("micro-moe", "experts", pd.DataFrame(rows).assign(condition="poisoned"), 3)
    assert line.startswith("micro-moe, 16 experts: attack success 0.90 unablated (task accuracy 0.80)")
    assert ("k = 2 (12%): 0.05 by attribution (one-sided paired t p = " in line
            and "task accuracy 0.60), 0.85 by routing (one-sided paired t p = " in line)
    assert " vs 0.80 random (task accuracy 0.60)" in line
    assert "by attribution, a 90% cut first at k = 2 (12% of experts)" in line
    assert "by routing, no k tried cuts it by 90% (up to 12% of experts)" in line
