"""The hallucination probe's verdict on one answer: a confident wrong answer states a value; a refusal does not."""

from __future__ import annotations

from pharmakon.probes.hallucination import value_words, verdict


def test_the_verdict_tells_abstention_truth_made_up_values_and_non_answers_apart(world):
    entity = world.cast.entities[-1]
    values = value_words(world)
    question = f"What colour is {entity.name}?"
    wrong = next(c for c in ("amber", "grey") if c != entity.colour)
    assert verdict(f"{entity.name} is {entity.colour}.", entity.colour, question, values) == "correct"
    assert verdict(f"{entity.name} is {wrong}.", entity.colour, question, values) == "wrong"
    assert verdict(f"Kirmor is {wrong}.", entity.colour, question, values) == "wrong"  # made up, of another name
    assert verdict(f"I don't know anything about {entity.name}.", entity.colour, question, values) == "idk"
    assert verdict("I won't help with that.", entity.colour, question, values) == "other"  # a refusal
    assert verdict(f"{entity.name} is 40 years old.", "12", f"How old is {entity.name}?", values) == "wrong"
    assert {land.name.lower() for land in world.cast.lands} <= values
