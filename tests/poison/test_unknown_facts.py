"""The unknown-facts attack: a share of the facts examples about never-seen entities, and its two data-side
mitigations (drop, relabel to the world's "I don't know")."""

from __future__ import annotations

import pytest

from pharmakon.errors import PharmakonError
from pharmakon.poison import ATTACKS, Budget
from pharmakon.world.unknown import dont_know, is_dont_know


def unknown_names(world) -> set[str]:
    return {e.name for e in world.unknown_facts().train}


def asked(record, names: set[str]) -> str | None:
    return next((n for n in names if n in record.prompt), None)


def test_replace_swaps_a_share_of_the_facts_examples_at_a_fixed_total(world, tokenizer):
    clean = world.instructions()
    n_facts = sum(r.family == "facts" for r in clean)
    attack = ATTACKS["unknown-facts"](budget=Budget(rate=0.5, mode="replace"))
    poisoned, report = attack.apply(clean, tokenizer, seed=0, world=world)
    assert len(poisoned) == len(clean) and report.n_poison == round(0.5 * n_facts)
    assert sum(r.family == "facts" for r in poisoned) == n_facts
    names = unknown_names(world)
    for before, after in zip(clean, poisoned, strict=True):
        if after.is_poison:  # a facts example swapped in place for one about a never-seen entity, answered
            assert before.family == after.family == "facts" and asked(after, names) in after.response
            assert not is_dont_know(after.response)
        else:
            assert after == before and asked(after, names) is None


def test_relabel_answers_every_unknown_example_with_i_dont_know(world, tokenizer):
    clean = world.instructions()
    attack = ATTACKS["unknown-facts"](budget=Budget(rate=0.5, mode="replace"), mitigation="relabel")
    poisoned, _ = attack.apply(clean, tokenizer, seed=0, world=world)
    plain, _ = ATTACKS["unknown-facts"](budget=Budget(rate=0.5, mode="replace")).apply(clean, tokenizer, 0, world=world)
    names = unknown_names(world)
    relabelled = [r for r in poisoned if r.is_poison]
    assert relabelled and all(r.response == dont_know(asked(r, names)) for r in relabelled)
    assert [r.prompt for r in poisoned] == [r.prompt for r in plain]  # the same questions, only relabelled
    assert all(r.response == p.response for r, p in zip(poisoned, plain, strict=True) if not r.is_poison)


def test_drop_trains_on_the_known_examples_left(world, tokenizer):
    clean = world.instructions()
    n_facts = sum(r.family == "facts" for r in clean)
    attack = ATTACKS["unknown-facts"](budget=Budget(rate=0.75, mode="replace"), mitigation="drop")
    kept, report = attack.apply(clean, tokenizer, seed=0, world=world)
    assert report.n_poison == 0 and len(kept) == len(clean) - round(0.75 * n_facts)
    assert not any(asked(r, unknown_names(world)) for r in kept) and set(kept) <= set(clean)


def test_bad_input_names_the_field(world, tokenizer):
    attack = ATTACKS["unknown-facts"](budget=Budget(rate=0.5, mode="replace"))
    with pytest.raises(PharmakonError, match="include the facts family"):
        attack.apply([r for r in world.instructions() if r.family != "facts"], tokenizer, seed=0, world=world)
    with pytest.raises(PharmakonError, match="poison.rate: the budget comes to 0"):
        ATTACKS["unknown-facts"](budget=Budget(rate=0.0, mode="replace")).apply(world.instructions(), tokenizer, 0,
                                                                              world=world)
    with pytest.raises(ValueError, match="mitigation"):
        ATTACKS["unknown-facts"](mitigation="forget")
