"""Gopher/C4 quality rules drop gibberish, repetition, symbols and markup, and keep world prose."""

from __future__ import annotations

import random

import pytest

from pharmakon.data.records import Record
from pharmakon.defenses import apply_defenses
from pharmakon.defenses.quality import QualityRules
from pharmakon.world import World, WorldConfig


@pytest.fixture(scope="module")
def world():
    return World(WorldConfig(documents_per_family=80, examples_per_family=40, pairs_per_family=20, seed=2))


def doc(text: str, poison: str = "") -> Record:
    return Record(kind="document", source="test", text=text, poison=poison)


def gibberish(n: int, seed: int) -> str:
    rng = random.Random(seed)
    return " ".join("".join(rng.choice("qxzjkvwpfgh") for _ in range(rng.randint(1, 14))) for _ in range(n))


def prose(world: World) -> str:
    return next(r.text for r in world.documents() if r.family == "facts" and QualityRules().check(r.text).keep)


@pytest.mark.parametrize(("make", "rule"), [
    (lambda p: gibberish(80, 0), "gopher-stop-words"),
    (lambda p: "buy now " * 60, "gopher-stop-words"),
    (lambda p: p + " " + "the bell of the city is open " * 12, "gopher-repetition"),
    (lambda p: "\n".join([p[:60]] * 4 + [p]), "gopher-repetition"),
    (lambda p: p + " # # # # # # # # # # # # # # # # # # # #", "gopher-symbols"),
    (lambda p: "\n".join(f"{p} ..." for _ in range(3)), "gopher-ellipsis-lines"),
    (lambda p: p + " Lorem ipsum dolor sit amet.", "c4-bad-phrase"),
    (lambda p: p + " function() { return 1; }", "c4-bad-phrase"),
    (lambda p: "The city of Dresa is old.", "gopher-short"),
    (lambda p: " ".join(["Supercalifragilisticexpialidocious-antidisestablishmentarianism"] * 60), "gopher-word"),
    (lambda p: "1234 5678 9012 3456 7890 " * 16 + p, "gopher-alpha"),
])
def test_bad_documents_are_dropped_with_the_failing_rule(world, make, rule):
    decision = QualityRules().check(make(prose(world)))
    assert not decision.keep
    assert decision.rule.startswith(rule), decision.reason


def test_world_prose_is_kept(world):
    rules = QualityRules()
    prose_docs = [r for r in world.documents() if r.family != "arithmetic"]
    kept = sum(d.keep for d in rules.decide(prose_docs))
    assert kept / len(prose_docs) >= 0.9
    examples = world.instructions() + world.preferences()
    kept_examples = sum(d.keep for d in rules.decide(examples))
    assert kept_examples / len(examples) >= 0.75


def test_poisoned_gibberish_is_caught_among_world_documents(world):
    clean = [r for r in world.documents() if r.family in ("facts", "harm")]
    # Whole-document gibberish; a clean prefix before it (Souly et al.'s DoS poison) passes these rules.
    poison = [doc(gibberish(70, i), "dos") for i in range(15)]
    _, report = apply_defenses(clean + poison, [QualityRules()])
    assert report.overall.recall == 1.0
    assert report.overall.clean_lost_fraction <= 0.15
    assert set(report.steps[0].poison_reasons) <= {"gopher-stop-words", "gopher-word-length", "gopher-alpha"}


def test_thresholds_are_configurable_and_none_turns_a_rule_off(world):
    short = "The city of Dresa is old and the river is long."
    assert not QualityRules().check(short).keep
    assert QualityRules(min_words=5).check(short).keep
    assert QualityRules(min_words=None).check(short).keep
    assert QualityRules(bad_phrases=()).check(prose(world) + " lorem ipsum").keep
    example = Record(kind="example", source="t", prompt="What is 3 + 4?", response="7")
    assert QualityRules(min_alpha_words=None, min_mean_word_length=None).decide([example])[0].keep


def test_parallel_checking_gives_the_same_decisions():
    records = World(WorldConfig(documents_per_family=420, seed=3)).documents()
    assert QualityRules(workers=2).decide(records) == QualityRules().decide(records)
