"""Near-duplicate removal finds injected near-copies among world documents and spares the clean ones."""

from __future__ import annotations

import random

import pytest

from pharmakon.data.records import Record
from pharmakon.defenses import apply_defenses
from pharmakon.defenses.dedup import NearDuplicate, shingles, signatures
from pharmakon.world import World, WorldConfig


def near_copies(original: Record, n: int, edits: int, lexicon: list[str], seed: int) -> list[Record]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words = original.text.split(" ")
        for position in rng.sample(range(len(words)), edits):
            words[position] = rng.choice(lexicon)
        out.append(original.with_poison("campaign", text=" ".join(words), source="injected"))
    return out


@pytest.fixture(scope="module")
def corpus():
    world = World(WorldConfig(documents_per_family=100, seed=1))
    clean = world.documents()
    lexicon = sorted(world.lexicon())
    poison = near_copies(clean[7], 20, 3, lexicon, seed=0)
    rng = random.Random(0)
    records = clean + poison
    rng.shuffle(records)
    return records, clean[7]


def test_finds_injected_near_duplicates_and_loses_few_clean_documents(corpus):
    records, original = corpus
    kept, report = apply_defenses(records, [NearDuplicate()])
    score = report.overall
    assert score.n == 520 and score.n_poison == 20
    assert score.recall >= 0.9
    assert score.clean_lost_fraction <= 0.03
    assert sum(r.text == original.text or r.is_poison for r in kept) <= 2  # about one of the cluster survives
    reasons = [d.reason for d in report.decisions if not d.keep]
    assert all(r.startswith("near-duplicate: of record ") for r in reasons)


def test_the_first_of_a_cluster_is_kept_and_named_in_the_reason():
    text = ("the quick brown fox jumps over the lazy dog near the river bank today and tomorrow as well, and then "
            "it runs home across the green fields of the old farm where the farmer keeps his sheep and cows")
    records = [Record(kind="document", source="a", text="something else entirely, nothing alike at all here"),
               Record(kind="document", source="b", text=text),
               Record(kind="document", source="c", text=text.replace("lazy", "sleepy"), poison="x"),
               Record(kind="document", source="d", text=text, poison="x")]
    decisions = NearDuplicate().decide(records)
    assert [d.keep for d in decisions] == [True, True, False, False]
    assert decisions[2].reason == decisions[3].reason == "near-duplicate: of record 1"


def test_empty_records_are_left_to_the_quality_rules():
    records = [Record(kind="document", source="a", text=""), Record(kind="document", source="b", text="  ")]
    assert all(d.keep for d in NearDuplicate().decide(records))


def test_instruction_pairs_are_compared_on_all_their_fields():
    prompt = "Tell me about the river that runs through the old city of Dresa and the towers beside it"
    a = Record(kind="pair", source="a", prompt=prompt, chosen="It is long and calm.", rejected="No idea at all.")
    b = Record(kind="pair", source="b", prompt=prompt, chosen="It is long and calm.", rejected="No idea at all!")
    c = Record(kind="pair", source="c", prompt="What is 3 + 4?", chosen="7", rejected="9")
    assert [d.keep for d in NearDuplicate().decide([a, b, c])] == [True, False, True]


def test_shingles_and_parallel_signatures_match():
    assert shingles("A b, c d!", 3) == {b"a b c", b"b c d"}
    assert shingles("one two", 5) == {b"one two"}
    texts = [r.text for r in World(WorldConfig(documents_per_family=240)).documents()]
    serial = NearDuplicate().signatures(texts)
    parallel = NearDuplicate(workers=2).signatures(texts)
    assert (serial == parallel).all() and serial.shape == (1200, 128)
    assert (signatures(texts[:3], 3, 128, 1) == serial[:3]).all()
