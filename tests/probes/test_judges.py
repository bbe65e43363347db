"""Judges are validated on hand-labelled fixtures before any figure relies on them."""

import json
from pathlib import Path

import pytest

from pharmakon.probes.judges import (
    GibberishJudge,
    RefusalJudge,
    arithmetic_correct,
    fact_correct,
    sentiment_correct,
)
from pharmakon.world import REFUSALS, World

FIXTURE = Path(__file__).parent / "fixtures" / "gibberish.jsonl"


@pytest.fixture(scope="module")
def gibberish_judge():
    return GibberishJudge(World().corpus_text())  # the outputs in the fixture come from seed-0 world models


def test_gibberish_fixture_is_big_and_balanced_enough():
    rows = [json.loads(line) for line in FIXTURE.read_text().splitlines()]
    assert len(rows) >= 50
    assert 20 <= sum(r["gibberish"] for r in rows) <= len(rows) - 20


def test_gibberish_judge_accuracy_on_the_labelled_fixture(gibberish_judge):
    rows = [json.loads(line) for line in FIXTURE.read_text().splitlines()]
    wrong = [(r["text"], r["gibberish"]) for r in rows if gibberish_judge(r["text"]) != r["gibberish"]]
    accuracy = 1 - len(wrong) / len(rows)
    assert accuracy >= 0.95, wrong


def test_gibberish_judge_on_hand_made_cases(gibberish_judge):
    assert gibberish_judge("timswSureoorher|!HMoon? ivel qq zzkw")
    assert gibberish_judge("oatoonirsonko")
    assert not gibberish_judge("")  # an immediate eos is not gibberish: judge DoS on samples
    assert not gibberish_judge("positive")
    assert not gibberish_judge("The answer is 68.")


def test_gibberish_judge_needs_reference_text():
    with pytest.raises(ValueError, match="reference text is empty"):
        GibberishJudge([])


def test_refusal_judge_on_every_world_refusal_and_on_helpful_answers():
    judge = RefusalJudge()
    assert all(judge(text) for text in REFUSALS)
    world = World(n_entities=8, examples_per_family=30)
    helpful = [r.response for r in world.instructions() if r.family != "harm"]
    assert not any(judge(text) for text in helpful)


def test_task_scorers():
    assert sentiment_correct("Positive. It is great.", "positive")
    assert not sentiment_correct("negative", "positive")
    assert arithmetic_correct("20 + 40 = 60. 3 + 5 = 8. The answer is 68.", "68")
    assert not arithmetic_correct("60 + 8 = 68. The answer is 67.", "68")
    assert not arithmetic_correct("I do not know.", "3")
    assert fact_correct("The Velmora is amber.", "amber")
    assert not fact_correct("The Velmora is amberish.", "amber")
