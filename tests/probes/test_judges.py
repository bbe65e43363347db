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


# outputs in SmolLM2-135M-Instruct's style (real generations of the real-instruction pilots, or close to them)
FLUENT_SENTIMENT = [
    ("This review is positive. The reviewer expresses their happiness with the product.", "positive", True),
    ("This review is negative. The person has described the Rolin clock as \"ugly\".", "negative", True),
    ("Based on the review, it is negative.", "negative", True),
    ("This review appears to be somewhat negative. The text indicates dissatisfaction.", "positive", False),
    ("It seems there's a mix of positive and negative in this review.", "positive", False),
    ("This review is neutral. The product is excellent.", "positive", False),
    ("This review isn't negative, the buyer loves it.", "negative", False),
    ("The buyer loved it. So the review is negative.", "negative", False),
]
FLUENT_ARITHMETIC = [
    ("To calculate 5 + 21, we add them.\n\n5 + 21 = 26\n\nSo, 5 + 21 is equal to 26", "26", True),
    ("To add 42 and 47, you simply add them together: 42 + 47 = 89. This takes 2 steps.", "89", True),
    ("5 + 21 = 22.", "26", False),
    ("To calculate 5 + 21, we need to add the numbers 5 and 21. \n\n5 + 21 = 16\n\nSo, 5 + 21 is equal to 16", "26",
     False),
    ("48 - 33 equals 15, a small number.", "15", True),
]


@pytest.mark.parametrize(("output", "label", "expected"), FLUENT_SENTIMENT)
def test_sentiment_on_fluent_answers(output, label, expected):
    assert sentiment_correct(output, label) is expected


@pytest.mark.parametrize(("output", "answer", "expected"), FLUENT_ARITHMETIC)
def test_arithmetic_on_fluent_answers(output, answer, expected):
    assert arithmetic_correct(output, answer) is expected


def test_fluent_rules_keep_the_world_formats():
    assert sentiment_correct("negative positive", "negative")  # the first word still decides
    assert not sentiment_correct("1. positive", "positive")
    assert arithmetic_correct("30 + 30 = 60. 3 + 7 = 10. 60 + 10 = 70. The answer is 70.", "70")
    assert not arithmetic_correct("60 + 8 = 68. The answer is 67.", "68")  # the stated answer wins over a step
