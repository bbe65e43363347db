"""The plan: shared prefixes are one node, keys move with config, seed and code, and only with them."""

from __future__ import annotations

from pharmakon.engine.load import load_study
from pharmakon.engine.plan import plan_study
from pharmakon.kernel import code


def kinds(plan, kind, label=""):
    return [n for n in plan.nodes.values() if n.kind == kind and label in n.label]


def test_a_dpo_sweep_pretrains_once(tiny_spec):
    tiny_spec["sweep"] = {"axes": {"pipeline.dpo.beta": [0.05, 0.1, 0.2, 0.4]}}
    plan = plan_study(load_study(tiny_spec))
    assert len(plan.points) == 4
    assert len(kinds(plan, "stage", "pretrain")) == 2  # poisoned and clean, shared by all four points
    assert len(kinds(plan, "stage", "sft")) == 2
    assert len(kinds(plan, "stage", "dpo")) == 8
    assert len(kinds(plan, "prepare", "dpo")) == 2  # DPO's reference log-probs do not depend on beta
    assert len(kinds(plan, "tokenizer")) == 1
    # each point still gets a full set of measurements (shared nodes are measured once, reported per point)
    assert len(plan.measurements) == 4 * 2 * 3 * 2


def test_zip_pairs_values_and_product_crosses_them(tiny_spec):
    axes = {"pipeline.dpo.beta": [0.1, 0.2], "pipeline.sft.learning_rate": [1e-3, 2e-3]}
    tiny_spec["sweep"] = {"axes": axes}
    assert len(plan_study(load_study(tiny_spec)).points) == 4
    tiny_spec["sweep"]["mode"] = "zip"
    points = plan_study(load_study(tiny_spec)).points
    assert [p.swept for p in points] == [{"pipeline.dpo.beta": 0.1, "pipeline.sft.learning_rate": 1e-3},
                                         {"pipeline.dpo.beta": 0.2, "pipeline.sft.learning_rate": 2e-3}]


def test_seeds_share_seed_free_nodes_only(tiny_spec):
    tiny_spec["seeds"] = [0, 1]
    plan = plan_study(load_study(tiny_spec))
    assert len(kinds(plan, "tokenizer")) == 1
    assert len(kinds(plan, "data", "[clean]")) == 3  # clean data does not depend on the seed
    assert len(kinds(plan, "data", "[poisoned]")) == 2  # poison placement does
    assert len(kinds(plan, "init")) == 2


def test_poison_after_pretraining_shares_the_pretrained_model(tiny_spec):
    del tiny_spec["pipeline"][0]["poison"]
    tiny_spec["pipeline"][1]["poison"] = {"attack": "dos", "count": 3}
    tiny_spec["pipeline"][1]["kind"] = "pretrain"
    tiny_spec["pipeline"][1]["name"] = "continued"
    plan = plan_study(load_study(tiny_spec))
    assert len(kinds(plan, "stage", "pretrain [")) == 1  # before the poison, both conditions are one node
    assert len(kinds(plan, "stage", "continued")) == 2


def test_a_probe_that_reads_no_budget_probes_a_clean_twin_once_for_every_budget(tiny_spec):
    """Arms that differ only in the poison count share their clean twin, and so its backdoor probe (which reads the
    trigger, not the count); the exposure probe reads the count (canaries per group), so it keeps one per arm."""
    tiny_spec["sweep"] = {"axes": {"pipeline.pretrain.poison.count": [4, 8, 12]}}
    plan = plan_study(load_study(tiny_spec))
    backdoor = {(m.condition, m.node) for m in plan.measurements if m.probe == "backdoor"}
    assert len({node for condition, node in backdoor if condition == "clean"}) == 3  # one per stage, not per arm
    assert len({node for condition, node in backdoor if condition == "poisoned"}) == 9
    tiny_spec["sweep"] = {"axes": {"pipeline.pretrain.poison.trigger": ["<SUDO>", "<OPEN>"]}}
    plan = plan_study(load_study(tiny_spec))
    clean = {m.node for m in plan.measurements if m.probe == "backdoor" and m.condition == "clean"}
    assert len(clean) == 6  # another trigger is another measurement of the same clean model


def test_the_unbudgeted_poison_is_the_same_attack_to_a_probe():
    from pharmakon.poison import ATTACKS
    from pharmakon.poison.spec import PoisonSpec, unbudgeted

    for name in ATTACKS:
        full = PoisonSpec(attack=name, count=7, placement="end").model_dump(mode="json")
        attack, seen = PoisonSpec(**full).build(), PoisonSpec(**unbudgeted(full)).build()
        assert type(seen) is type(attack) and seen.trigger == attack.trigger and seen.behaviour == attack.behaviour
        assert seen.config.model_dump(exclude={"budget"}) == attack.config.model_dump(exclude={"budget"})


def test_keys_change_with_config_and_with_the_code(tiny_spec, monkeypatch):
    base = plan_study(load_study(tiny_spec))
    other = plan_study(load_study(tiny_spec, {"pipeline.dpo.beta": 0.3}))
    same = [k for k in base.nodes if k in other.nodes]
    assert {base.nodes[k].kind for k in set(base.nodes) - set(other.nodes)} == {"stage", "probe"}
    assert all("dpo" not in base.nodes[k].label for k in same if base.nodes[k].kind in ("stage", "probe"))
    real = code.module_hash

    def edited(module: str) -> str:
        return "edited" if module == "pharmakon.stages.sft" else real(module)

    monkeypatch.setattr(code, "module_hash", edited)  # as if sft.py had been edited
    changed = plan_study(load_study(tiny_spec))
    moved = {changed.nodes[k].label.split(" [")[0] for k in set(changed.nodes) - set(base.nodes)}
    assert "sft" in moved and "dpo" in moved and "pretrain" not in moved


def test_a_node_wired_with_inputs_its_kind_does_not_declare_is_refused(tiny_spec):
    import pytest

    from pharmakon.errors import PharmakonError

    plan = plan_study(load_study(tiny_spec))
    with pytest.raises(PharmakonError, match="node 'x' of kind stage lacks input data; allowed: model, data"):
        plan.add("stage", "x", {}, {"model": "k", "tokenizer": "t"}, 0, [])
    with pytest.raises(PharmakonError, match="node 'y' of kind init has inputs it does not read: data"):
        plan.add("init", "y", {}, {"tokenizer": "t", "data": "d"}, 0, [])
    with pytest.raises(PharmakonError, match="unknown node kind 'train'"):
        plan.add("train", "z", {}, {}, 0, [])
    kinds = {node.kind for node in plan.nodes.values()}
    assert {"tokenizer", "init", "data", "stage", "probe"} <= kinds  # every node of a real plan passed the check


def test_a_node_config_is_typed_by_its_kind(tiny_spec):
    """Every kind validates its config against its model: a field the kind does not read, a missing one or a
    wrong value is refused in one line, and the runner receives the model."""
    import pytest

    from pharmakon.engine import node_configs
    from pharmakon.engine.kinds import KINDS
    from pharmakon.errors import PharmakonError

    plan = plan_study(load_study(tiny_spec))
    data = next(n for n in plan.nodes.values() if n.kind == "data")
    typed = KINDS["data"].typed(data.config, data.label)
    assert isinstance(typed, node_configs.DataNode) and typed.world.seed == data.config["world"]["seed"]
    probe = next(n for n in plan.nodes.values() if n.kind == "probe")
    assert KINDS["probe"].typed(probe.config, probe.label).probe == probe.config["probe"]
    inputs = {"tokenizer": data.inputs["tokenizer"]}
    with pytest.raises(PharmakonError, match=r"node 'x' of kind data: config field recipe: Extra inputs are not "
                                             r"permitted; allowed fields: world, dataset, record_kind"):
        plan.add("data", "x", {**data.config, "recipe": {}}, inputs, 0, [])
    with pytest.raises(PharmakonError, match="node 'y' of kind data: config field record_kind: Input should be"):
        plan.add("data", "y", {**data.config, "record_kind": "essay"}, inputs, 0, [])
    with pytest.raises(PharmakonError, match="node 'z' of kind init: config field model: Field required") as caught:
        plan.add("init", "z", {}, {"tokenizer": "t"}, 0, [])
    assert "\n" not in str(caught.value)
    for node in plan.nodes.values():  # the plan's own configs validate (Plan.add checked them) and round-trip
        model = KINDS[node.kind].typed(node.config, node.label)
        assert KINDS[node.kind].typed(model.model_dump(mode="json"), node.label) == model
