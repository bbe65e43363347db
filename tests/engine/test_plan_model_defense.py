"""The engine hands the clean twin after the same stage to a model defence as its reference."""

from __future__ import annotations

from pharmakon.engine.load import load_study
from pharmakon.engine.plan import plan_study


def test_the_engine_hands_the_clean_twin_to_a_model_defence_as_reference(tiny_spec):
    tiny_spec["probes"] = [{"name": "model-defense", "after": ["sft"], "defense": {"name": "cleangen"}}]
    plan = plan_study(load_study(tiny_spec))
    probes = {m.condition: plan.nodes[m.node] for m in plan.measurements}
    stages = {row["condition"]: row["node"] for row in plan.lineage if row["stage"] == "sft"}
    assert probes["poisoned"].inputs["model"] == stages["poisoned"]
    assert probes["poisoned"].inputs["reference"] == stages["clean"]
    assert probes["clean"].inputs["reference"] == stages["clean"]
    assert probes["poisoned"].config["config"]["defense"] == {"name": "cleangen", "alpha": 20.0}
    assert "pharmakon.defenses.model" in probes["poisoned"].modules
