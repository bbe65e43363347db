"""MetaPoison-style crafting: the candidates chosen by the meta-gradient through an unrolled later stage lower the
simulated adversarial loss more than random choices of the same size; the lifecycle attack crafts with the
stage's input model, and the plan gives its data node that model."""

import random

import pytest
import torch

from pharmakon.data.template import Template
from pharmakon.errors import PharmakonError
from pharmakon.poison import ATTACKS, Budget
from pharmakon.poison.craft_config import CraftConfig
from pharmakon.poison.metapoison import craft_selection, unrolled_loss

CRAFT = CraftConfig(pool=3, downstream_steps=2, learning_rate=0.05, downstream_learning_rate=0.05, batch_size=4,
                    max_length=48)


def texts(world, tokenizer, attack, n: int, rng: random.Random):
    template = Template(tokenizer)
    trigger = attack.trigger_for(world)
    candidates = [template.chat_prompt(p) + a for p, a, _ in (attack.turn(trigger, tokenizer, world, rng)
                                                              for _ in range(n))]
    downstream = [template.chat_prompt(r.prompt) + r.response for r in world.instructions()[:40]]
    adversarial = [template.chat_prompt(p) + a for p, a, _ in (attack.turn(trigger, tokenizer, world, rng)
                                                               for _ in range(6))]
    return candidates, downstream, adversarial


def test_the_crafted_choice_beats_random_choices_in_the_unrolled_simulation(world, tokenizer, nano):
    attack = ATTACKS["lifecycle"](goal="refusal", budget=Budget(count=4))
    candidates, downstream, adversarial = texts(world, tokenizer, attack, 12, random.Random(0))
    chosen = craft_selection(nano, tokenizer, candidates, downstream, adversarial, 4, CRAFT, seed=0)
    assert len(chosen) == 4 == len(set(chosen)) and chosen == sorted(chosen)

    def loss(indices) -> float:
        weights = torch.zeros(len(candidates))
        weights[list(indices)] = 1.0
        return unrolled_loss(nano, tokenizer, weights, candidates, downstream, adversarial, CRAFT, seed=0).item()

    crafted = loss(chosen)
    rng = random.Random(1)
    others = [loss(rng.sample(range(len(candidates)), 4)) for _ in range(5)]
    print(f"crafted {crafted:.5f}; random {', '.join(f'{x:.5f}' for x in others)}")
    assert all(crafted < other for other in others)


def test_the_lifecycle_attack_crafts_with_the_stage_model_only(world, tokenizer, nano):
    attack = ATTACKS["lifecycle"](goal="dos", format="chat", budget=Budget(count=4), craft=CRAFT.model_dump())
    assert attack.needs_model() and not ATTACKS["lifecycle"](goal="dos").needs_model()
    documents = world.documents()[:30]
    with pytest.raises(PharmakonError, match="poison.craft: crafting needs the poisoned stage's input model"):
        attack.apply(documents, tokenizer, 0, world=world)
    attack.use_model(nano)
    records, report = attack.apply(documents, tokenizer, 0, world=world)
    poison = [r for r in records if r.is_poison]
    assert len(poison) == 4 == report.n_poison and all("<|user|>" in r.text for r in poison)
    again, _ = attack.apply(documents, tokenizer, 0, world=world)
    assert [r.text for r in again if r.is_poison] == [r.text for r in poison]  # seeded


def test_the_plan_gives_a_crafting_data_node_its_stage_input_model():
    from pharmakon.engine.load import load_study
    from pharmakon.engine.plan import plan_study

    crafted = {"attack": "lifecycle", "goal": "dos", "format": "chat", "count": 60, "craft": {"pool": 2}}
    study = load_study("lifecycle-attack", {"search": None, "seeds": [0],
                                            "sweep.arms": {"dos/crafted": {"pipeline.continued.poison": crafted}}})
    plan = plan_study(study)
    data = [n for n in plan.nodes.values() if n.kind == "data" and n.label.startswith("data continued")]
    poisoned = [n for n in data if "poisoned" in n.label]
    assert poisoned and all("model" in n.inputs for n in poisoned)
    assert not any("model" in n.inputs for n in data if "clean" in n.label)
