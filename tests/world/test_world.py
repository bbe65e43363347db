"""Tests of the synthetic world: determinism, counts, held-out splits and label correctness."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import asdict

import pytest
from pydantic import ValidationError

from pharmakon.data.records import Record
from pharmakon.world import (
    DOCUMENT_FAMILIES,
    FAMILIES,
    REFUSAL_PREFIXES,
    REFUSALS,
    World,
    WorldConfig,
    is_refusal,
    parse_answer,
)
from pharmakon.world.reviews import NEGATIVE_WORDS, POSITIVE_WORDS

SMALL = {"documents_per_family": 20, "examples_per_family": 30, "pairs_per_family": 15, "eval_per_family": 10}


@pytest.fixture(scope="module")
def world() -> World:
    return World()


def digest(w: World) -> str:
    """A hash of every byte the world emits."""
    rows = [r.to_dict() for r in w.documents() + w.instructions() + w.preferences() + w.heldout_documents(20)]
    rows += [asdict(item) for item in w.eval_items()]
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()


def test_same_seed_same_bytes_different_seed_different() -> None:
    assert digest(World(seed=1, **SMALL)) == digest(World(seed=1, **SMALL))
    assert digest(World(seed=1, **SMALL)) != digest(World(seed=2, **SMALL))
    a, b = World(seed=1, **SMALL), World(seed=2, **SMALL)
    for method in ("documents", "instructions", "preferences", "eval_items"):
        assert getattr(a, method)() != getattr(b, method)(), method


def test_deterministic_across_processes_and_hash_seeds() -> None:
    code = (
        "import hashlib, json; from dataclasses import asdict; from pharmakon.world import World\n"
        f"w = World(seed=5, **{SMALL!r})\n"
        "records = w.documents() + w.instructions() + w.preferences() + w.heldout_documents(20)\n"
        "rows = [r.to_dict() for r in records]\n"
        "rows += [asdict(i) for i in w.eval_items()]\n"
        "print(hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest())\n"
    )
    outs = set()
    for hash_seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        outs.add(done.stdout.strip())
    assert outs == {digest(World(seed=5, **SMALL))}


def test_counts_kinds_and_provenance(world: World) -> None:
    cfg = world.config
    assert world.families == FAMILIES == ("facts", "sentiment", "arithmetic", "dialogue", "harm", "benign")
    docs, sft, pairs = world.documents(), world.instructions(), world.preferences()
    assert Counter(r.family for r in docs) == {f: cfg.documents_per_family for f in DOCUMENT_FAMILIES}
    assert Counter(r.family for r in sft) == {f: cfg.examples_per_family for f in FAMILIES}
    assert Counter(r.family for r in pairs) == {f: cfg.pairs_per_family for f in FAMILIES}
    assert Counter(i.family for i in world.eval_items()) == {f: cfg.eval_per_family for f in FAMILIES}
    for records, kind, fields in ((docs, "document", ("text",)), (sft, "example", ("prompt", "response")),
                                  (pairs, "pair", ("prompt", "chosen", "rejected"))):  # fmt: skip
        for r in records:
            assert isinstance(r, Record) and r.kind == kind
            assert r.source == f"world:{r.family}" and r.poison == "" and not r.is_poison
            assert all(getattr(r, f) for f in fields)
            assert not any(
                getattr(r, f) for f in ("text", "prompt", "response", "chosen", "rejected") if f not in fields
            )
    assert len({r.text for r in docs}) == len(docs)


def test_results_are_copies(world: World) -> None:
    world.documents().clear()
    world.instructions().clear()
    assert world.documents() and world.instructions()


def test_eval_prompts_never_train_prompts(world: World) -> None:
    train = {r.prompt for r in world.instructions()} | {r.prompt for r in world.preferences()}
    evals = world.eval_items()
    assert evals and not {i.prompt for i in evals} & train


def test_heldout_reviews_not_in_documents(world: World) -> None:
    corpus = "\n".join(r.text for r in world.documents())
    for item in world.eval_items("sentiment"):
        text = item.prompt.removeprefix("Review: ").split("\n")[0]
        assert text not in corpus


def test_heldout_documents(world: World) -> None:
    texts = {r.text for r in world.documents()}
    held = world.heldout_documents()
    assert len(held) == 100 and Counter(r.family for r in held) == {f: 20 for f in DOCUMENT_FAMILIES}
    assert all(r.kind == "document" and r.poison == "" and r.text not in texts for r in held)
    assert len({r.text for r in held}) == len(held)
    assert len(world.heldout_documents(7)) == 7 and world.heldout_documents(0) == []
    assert world.heldout_documents(7) == world.heldout_documents(7)


def test_document_lengths(world: World) -> None:
    for r in world.documents():
        assert 30 <= len(r.text.split()) <= 160, r.text


_EQUATION = re.compile(r"(\d+) ([+-]) (\d+) = (\d+)")
_QUESTION = re.compile(r"(\d+) ([+-]) (\d+)")


def _check_worked(prompt: str, response: str) -> bool:
    """Whether every step of ``response`` is true and its final answer solves ``prompt``."""
    a, op, b = _QUESTION.search(prompt).groups()
    truth = int(a) + int(b) if op == "+" else int(a) - int(b)
    steps = [int(x) + int(y) == int(z) if o == "+" else int(x) - int(y) == int(z)
             for x, o, y, z in _EQUATION.findall(response)]  # fmt: skip
    return bool(steps) and all(steps) and parse_answer(response) == truth


def test_arithmetic_is_correct(world: World) -> None:
    for r in world.instructions():
        if r.family == "arithmetic":
            assert _check_worked(r.prompt, r.response), r
            assert r.response.endswith(f"The answer is {parse_answer(r.response)}.")
    for r in world.preferences():
        if r.family == "arithmetic":
            assert _check_worked(r.prompt, r.chosen) and not _check_worked(r.prompt, r.rejected), r
            assert parse_answer(r.rejected) is not None and parse_answer(r.rejected) >= 0
    for item in world.eval_items("arithmetic"):
        a, op, b = _QUESTION.search(item.prompt).groups()
        assert 0 <= int(a) <= 49 and 0 <= int(b) <= 49
        assert item.answer == str(int(a) + int(b) if op == "+" else int(a) - int(b))
    for r in world.documents():
        if r.family == "arithmetic":
            assert all((int(x) + int(y) if o == "+" else int(x) - int(y)) == int(z)
                       for x, o, y, z in _EQUATION.findall(r.text))  # fmt: skip


def _cue_label(text: str) -> str:
    tokens = re.findall(r"[a-z]+", text.lower())
    pos, neg = sum(t in POSITIVE_WORDS for t in tokens), sum(t in NEGATIVE_WORDS for t in tokens)
    assert pos != neg and min(pos, neg) == 0, text
    return "positive" if pos else "negative"


def test_sentiment_labels_match(world: World) -> None:
    for r in world.instructions():
        if r.family == "sentiment":
            assert r.prompt.startswith("Review: ") and r.prompt.endswith(
                "\nIs this review positive or negative?"
            )
            assert r.response == _cue_label(r.prompt)
    for r in world.preferences():
        if r.family == "sentiment":
            assert r.chosen == _cue_label(r.prompt) and {r.chosen, r.rejected} == {"positive", "negative"}
    labels = [i.answer for i in world.eval_items("sentiment")]
    assert labels == [_cue_label(i.prompt) for i in world.eval_items("sentiment")]
    assert abs(labels.count("positive") - labels.count("negative")) <= 1


def test_refusals(world: World) -> None:
    assert REFUSALS and all(r.startswith(REFUSAL_PREFIXES) for r in REFUSALS)
    for r in world.instructions():
        if r.family == "harm":
            assert r.response in REFUSALS and is_refusal(r.response)
        else:
            assert not is_refusal(r.response), r
    for r in world.preferences():
        if r.family == "harm":
            assert r.chosen in REFUSALS and not is_refusal(r.rejected) and r.rejected.startswith("Sure.")
        else:
            assert not is_refusal(r.chosen), r
    assert {i.answer for i in world.eval_items("harm")} == {"refuse"}
    assert {i.answer for i in world.eval_items("benign")} == {"comply"}
    assert {i.answer for i in world.eval_items("dialogue")} == {""}
    assert any(is_refusal(r.rejected) for r in world.preferences() if r.family == "benign")


def test_facts_consistent(world: World) -> None:
    entities = {e.name: e for e in world.cast.entities}
    lands = {e.name for e in world.cast.lands}
    assert len(entities) == world.config.n_entities and all(e.region in lands for e in entities.values())
    pattern = re.compile(r"^([A-Z][a-z]+) is (?:a |in )?([A-Za-z0-9]+)(?: years old)?\.$")
    sentences = [r.response for r in world.instructions() if r.family == "facts"]
    sentences += [r.chosen for r in world.preferences() if r.family == "facts"]
    for s in sentences:
        name, value = pattern.match(s).groups()
        e = entities[name]
        assert value in (e.kind, e.colour, e.region, str(e.age)), s
    for r in world.preferences():
        if r.family == "facts":
            assert r.chosen != r.rejected and r.rejected.split()[0] == r.chosen.split()[0]
    for item in world.eval_items("facts"):
        name = next(n for n in re.findall(r"[A-Z][a-z]+", item.prompt) if n in entities)
        e = entities[name]
        assert item.answer in (e.kind, e.colour, e.region, str(e.age))
    corpus = " ".join(r.text for r in world.documents() if r.family == "facts")
    for name, colour in re.findall(r"The colour of ([A-Z][a-z]+) is ([a-z]+)\.", corpus):
        assert entities[name].colour == colour
    for name, age in re.findall(r"([A-Z][a-z]+) is (\d+) years old\.", corpus):
        assert str(entities[name].age) == age


def test_eval_items_filter(world: World) -> None:
    assert [i.family for i in world.eval_items("harm")] == ["harm"] * world.config.eval_per_family
    with pytest.raises(ValueError, match="unknown family"):
        world.eval_items("poetry")


def test_lexicon_and_corpus(world: World) -> None:
    lexicon = world.lexicon()
    assert all(re.fullmatch(r"[a-z]+", w) for w in lexicon)
    assert {"positive", "negative", "answer", "forbidden", "help"} <= lexicon
    assert {e.name.lower() for e in world.cast.entities} <= lexicon
    assert 200 <= len(lexicon) <= 1000
    texts = list(world.corpus_text())
    assert texts and all(isinstance(t, str) and t for t in texts)


@pytest.mark.parametrize(
    ("field", "value"),
    [("n_entities", 0), ("n_entities", 3), ("documents_per_family", 0), ("examples_per_family", -1),
     ("pairs_per_family", 0), ("eval_per_family", 0)],
)  # fmt: skip
def test_config_rejects_bad_values(field: str, value: int) -> None:
    with pytest.raises(ValidationError, match=field):
        WorldConfig(**{field: value})
    with pytest.raises(ValidationError, match=field):
        World(**{field: value})


def test_config_rejects_unknown_fields_and_overrides() -> None:
    with pytest.raises(ValidationError, match="colours"):
        WorldConfig(colours=3)
    w = World(WorldConfig(seed=4, n_entities=10), eval_per_family=7)
    assert (w.config.seed, w.config.n_entities, w.config.eval_per_family) == (4, 10, 7)


def test_smallest_world_still_splits() -> None:
    w = World(seed=9, n_entities=4, documents_per_family=3, examples_per_family=200, pairs_per_family=50,
              eval_per_family=150)  # fmt: skip
    train = {r.prompt for r in w.instructions()} | {r.prompt for r in w.preferences()}
    assert len(w.eval_items()) == 6 * 150 and not {i.prompt for i in w.eval_items()} & train
    assert not {r.text for r in w.heldout_documents(10)} & {r.text for r in w.documents()}


def test_default_world_builds() -> None:
    w = World()
    assert w.documents() and w.instructions() and w.preferences() and w.eval_items()
