"""Perplexity filter and ONION on a briefly pretrained nano model: an inserted rare trigger word stands out."""

from __future__ import annotations

import random

import numpy as np
import pytest

from pharmakon.data.records import Record
from pharmakon.defenses import apply_defenses, build_defense
from pharmakon.defenses.onion import Onion
from pharmakon.defenses.perplexity import PerplexityFilter, mean_nll

TRIGGER = "qzv"


@pytest.fixture(scope="module")
def reference(world, tokenizer):
    """``nano`` pretrained for a few seconds on the small world's documents."""
    from pharmakon.models.configs import build_tiny_model
    from pharmakon.stages.configs import PretrainConfig
    from pharmakon.stages.pretrain import pretrain

    model = build_tiny_model("nano", tokenizer, seed=0)
    config = PretrainConfig(max_steps=150, max_length=64, learning_rate=5e-3, threads=2)
    return pretrain(model, tokenizer, world.documents(), config, seed=0).model, tokenizer


def with_trigger(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    words.insert(rng.randrange(1, len(words)), TRIGGER)
    return " ".join(words)


@pytest.fixture(scope="module")
def records(world):
    """40 held-out clean documents (their first sentences) and 10 with the trigger inserted."""
    rng = random.Random(0)
    texts = [" ".join(r.text.split(" ")[:24]) for r in world.heldout_documents(50)]
    clean = [Record(kind="document", source="heldout", text=t) for t in texts[:40]]
    poison = [Record(kind="document", source="heldout", text=with_trigger(t, rng), poison="badnets")
              for t in texts[40:]]
    return clean + poison


def test_mean_nll_is_batch_invariant_and_lower_on_world_text(reference, world):
    model, tokenizer = reference
    texts = [r.text for r in world.heldout_documents(10)] + ["zq xv kj wq " * 6]
    one = mean_nll(model, tokenizer, texts, batch_size=1)
    many = mean_nll(model, tokenizer, texts, batch_size=8)
    assert np.allclose(one, many, atol=1e-4)
    assert one[-1] > one[:-1].max()
    assert np.isnan(mean_nll(model, tokenizer, [""])[0])


def test_perplexity_filter_prefers_triggered_records(reference, records):
    defense = build_defense({"name": "perplexity", "quantile": 0.8}, reference=reference)
    ppl = defense.perplexities(records)
    poison = np.array([r.is_poison for r in records])
    assert ppl[poison].mean() > ppl[~poison].mean()
    _, report = apply_defenses(records, [defense])
    assert report.overall.dropped == 10
    assert report.overall.precision >= 0.6  # the base rate is 0.2; measured 0.9
    reason = next(d.reason for d in report.decisions if not d.keep)
    assert reason.startswith("high-perplexity:") and "0.8 quantile" in reason


def test_perplexity_threshold_wins_over_quantile(reference, records):
    defense = PerplexityFilter(threshold=1e9, reference=reference)
    assert all(d.keep for d in defense.decide(records))


def test_onion_scores_the_trigger_above_clean_words(reference, records):
    onion = Onion(reference=reference, threshold=0.0)
    poisoned = [r.text for r in records if r.is_poison]
    scores = onion.suspicion(poisoned)
    top = [max(s, key=s.get) for s in scores]
    assert sum(word == TRIGGER for word in top) >= 8
    clean_scores = [v for s in onion.suspicion([r.text for r in records if not r.is_poison]) for v in s.values()]
    trigger_scores = [s[TRIGGER] for s in scores]
    assert np.median(trigger_scores) > np.quantile(clean_scores, 0.95)


def test_onion_filter_and_strip(reference, records):
    clean = [r for r in records if not r.is_poison]
    fit, held = clean[::2], clean[1::2]  # the threshold is fitted on one half of the clean records, scored on the other
    clean_words = [v for s in Onion(reference=reference).suspicion([r.text for r in fit]) for v in s.values()]
    threshold = float(np.quantile(clean_words, 0.995))  # calibrated on clean data, as ONION's threshold is
    onion = build_defense({"name": "onion", "threshold": threshold}, reference=reference)
    scored = [r for r in records if r.is_poison] + held
    _, report = apply_defenses(scored, [onion])
    assert report.overall.recall >= 0.7
    assert report.overall.clean_lost_fraction <= 0.15
    reason = next(d.reason for d, r in zip(report.decisions, scored, strict=True) if r.is_poison and not d.keep)
    assert reason.startswith(f"outlier-word: '{TRIGGER}'")
    poisoned = next(r.text for r in records if r.is_poison)
    stripped = onion.strip_outliers(poisoned)
    assert TRIGGER not in stripped.split() and len(stripped.split()) >= len(poisoned.split()) - 3


def test_defences_that_score_need_a_reference():
    with pytest.raises(ValueError, match="needs a reference"):
        Onion()
    with pytest.raises(ValueError, match="needs a reference"):
        PerplexityFilter()
