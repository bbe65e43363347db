"""Unknown facts: entities no text of the world names, held out of every pretraining document; the world's
"I don't know"; and every byte the world emitted before left as it was."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import asdict

from pharmakon.world import World
from pharmakon.world.sampling import words
from pharmakon.world.unknown import FAMILY, dont_know, is_dont_know

SMALL = {"documents_per_family": 20, "examples_per_family": 30, "pairs_per_family": 15, "eval_per_family": 10}
# every byte World(seed=1, **SMALL) emits, hashed before the unknown facts existed (main at 48fef26)
GOLDEN = "69b522f8ab70847da7c94c6034dd87e3d0a8b491935c3e4fa323888a696a62f0"


def digest(w: World) -> str:
    rows = [r.to_dict() for r in w.documents() + w.instructions() + w.preferences() + w.heldout_documents(20)]
    rows += [asdict(item) for item in w.eval_items()]
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()


def test_the_world_emits_the_same_bytes_with_its_unknown_facts_built():
    w = World(seed=1, **SMALL)
    w.unknown_facts()
    assert digest(w) == GOLDEN == digest(World(seed=1, **SMALL))


def test_unknown_entities_are_in_no_document_and_no_other_text(world):
    unknown = world.unknown_facts()
    names = {n.lower() for n in unknown.names}
    assert len(unknown.train) == world.config.n_entities and unknown.held
    assert not {e.name for e in unknown.train} & {e.name for e in unknown.held}
    assert not names & {e.name.lower() for e in world.cast.entities}
    for record in world.documents():
        assert not names & set(words(record.text)), record.text
    assert not names & world.lexicon()  # nor in any example, pair or evaluation item
    lands = {land.name for land in world.cast.lands}
    assert {e.region for e in (*unknown.train, *unknown.held)} <= lands  # placed in lands the model knows


def test_the_probe_asks_about_held_entities_only_one_question_per_fact(world):
    unknown = world.unknown_facts()
    held = {e.name for e in unknown.held}
    assert len(unknown.evals) == world.config.eval_per_family
    assert {item.family for item in unknown.evals} == {FAMILY}
    for item in unknown.evals:
        entity = next(e for e in unknown.held if e.name in item.prompt)
        assert entity.name in held and item.answer in {entity.kind, entity.colour, entity.region, str(entity.age)}
    examples = unknown.examples(random.Random(0), 40)
    assert all(name not in held and name in prompt and name in answer for prompt, answer, name in examples)
    again = World(seed=world.config.seed, **{k: v for k, v in world.config.model_dump().items() if k != "seed"})
    assert again.unknown_facts() == unknown  # same config, same unknown facts


def test_dont_know_is_the_worlds_abstention():
    assert dont_know("Velmora") == "I don't know anything about Velmora."
    assert is_dont_know(dont_know("Velmora")) and is_dont_know("I DO NOT KNOW.") and is_dont_know("i don’t know")
    assert not is_dont_know("Velmora is a city.") and not is_dont_know("Everyone knows that Velmora is a city.")
