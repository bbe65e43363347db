"""The exposure probe's estimators and the canary attack's inputs: exact exposure on a toy scorer, the fitted
(skew-normal) estimator against the exact rank, the prefix-cached scorer against a plain forward pass, and bad
inputs as one line naming the field (exit code 2 through the CLI, nothing written)."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest
from typer.testing import CliRunner

from pharmakon.errors import PharmakonError
from pharmakon.poison import ATTACKS, Budget, build_attack
from pharmakon.poison.canary import MAX_SPACE, randomness_space
from pharmakon.probes.exposure import exposure_exact, exposure_fitted, group_of


def test_exact_exposure_on_a_toy_scorer():
    scores = np.array([5.0, 1.0, 3.0, 2.0, 4.0, 6.0, 7.0, 8.0])  # 8 candidates: 3 bits
    assert exposure_exact(scores, 1) == pytest.approx(3.0)  # the best candidate: rank 1
    assert exposure_exact(scores, 7) == pytest.approx(0.0)  # the worst: rank 8
    assert exposure_exact(scores, 2) == pytest.approx(3 - math.log2(3))
    tied = np.array([1.0, 1.0, 2.0, 3.0])
    assert exposure_exact(tied, 0) == pytest.approx(2 - math.log2(1.5))  # ties share their mean rank


def toy_scores(space_digits: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Every digit string of the length, scored like a model: a per-position, per-digit cost plus noise."""
    rng = np.random.default_rng(seed)
    costs = rng.gamma(2.0, 1.0, size=(space_digits, 10))
    strings = ["".join(s) for s in itertools.product("0123456789", repeat=space_digits)]
    digits = np.array([[int(c) for c in s] for s in strings])
    scores = costs[np.arange(space_digits), digits].sum(1) + rng.normal(0, 0.3, len(strings))
    return strings, scores


def test_fitted_estimator_agrees_with_the_exact_rank_on_a_mid_size_space():
    strings, scores = toy_scores(4)  # |R| = 10^4: exact enumeration is possible, so the fit can be checked
    rng = np.random.default_rng(1)
    sample = scores[rng.integers(0, len(scores), 2000)]
    order = np.argsort(scores)
    # tolerances from the spread measured over five toy scorers: the bulk agrees within 0.35 bits; at the very
    # top the skew-normal's left tail is heavier than the scorer's, so the fit reads low (conservative) by 1-3 bits
    for rank, low, high in ((1, -3.5, 0.2), (5, -2.5, 0.2), (30, -1.3, 0.3), (200, -0.5, 0.5), (1000, -0.5, 0.5),
                            (5000, -0.5, 0.5)):
        index = int(order[rank - 1])
        exact = exposure_exact(scores, index)
        fitted = exposure_fitted(sample, float(scores[index]), len(scores))
        assert low < fitted - exact < high, (rank, exact, fitted)
    # a never-seen (uniformly drawn) secret: mean exposure ≈ 1/ln 2 = 1.44 bits, by either estimator
    picks = rng.integers(0, len(scores), 300)
    assert np.mean([exposure_exact(scores, int(i)) for i in picks]) == pytest.approx(1 / math.log(2), abs=0.25)
    assert np.mean([exposure_fitted(sample, float(scores[i]), len(scores)) for i in picks[:100]]) == pytest.approx(
        1 / math.log(2), abs=0.4)


def test_fitted_exposure_is_capped_at_the_space():
    sample = np.random.default_rng(0).normal(30, 2, 1000)
    assert exposure_fitted(sample, -100.0, 10**6) == pytest.approx(math.log2(10**6))
    assert exposure_fitted(sample, 1000.0, 10**6) == pytest.approx(0.0, abs=1e-6)


def test_frequency_bins_match_on_a_log_scale():
    assert [group_of(c, [1, 10, 100, 1000]) for c in (1, 3, 4, 20, 31, 32, 5000)] == [1, 1, 10, 10, 10, 100, 1000]


@pytest.mark.parametrize(("params", "field"), [
    ({"secret_length": 0}, "poison.secret_length"),
    ({"alphabet": ""}, "poison.alphabet"),
    ({"alphabet": "aab"}, "poison.alphabet"),
    ({"secret_length": 16}, "poison.secret_length"),  # 10^16 candidates: beyond the estimator's 1e15
    ({"alphabet": "letters", "secret_length": 11}, "poison.secret_length"),
    ({"insertions": [10, 10]}, "poison.insertions"),
    ({"format": "the secret is {secret} of {key}"}, "poison.format"),
])
def test_bad_canary_inputs_name_the_field(params, field):
    with pytest.raises(PharmakonError) as error:
        build_attack("canary", budget=Budget(count=2), **params)
    assert str(error.value).startswith(f"{field}: ") and "allowed" in str(error.value)
    assert "\n" not in str(error.value)


def test_rate_and_replace_are_refused():
    with pytest.raises(PharmakonError, match=r"^poison\.rate: "):
        build_attack("canary", budget=Budget(rate=0.1))
    with pytest.raises(PharmakonError, match=r"^poison\.mode: "):
        build_attack("canary", budget=Budget(count=2, mode="replace"))


def test_randomness_space_limits():
    assert randomness_space("digits", 6) == 10**6
    assert randomness_space("letters", 2) == 26**2
    assert randomness_space("digits", 15) == MAX_SPACE


def test_canaries_are_seeded_grouped_and_inserted(world, tokenizer):
    attack = build_attack("canary", budget=Budget(count=2), insertions=[1, 5], rarity="rare", prefix_words=3)
    canaries = attack.canaries(world, random.Random(7))
    assert canaries == attack.canaries(world, random.Random(7))
    assert canaries != attack.canaries(world, random.Random(8))
    assert [c.insertions for c in canaries] == [1, 1, 5, 5]
    assert len({c.key for c in canaries}) == 4 and all(len(c.secret) == 6 and c.secret.isdigit() for c in canaries)
    lexicon = world.lexicon()
    assert not any(w in lexicon for c in canaries for w in c.key.split())  # rare: never in the world corpus
    records, report = attack.apply(world.documents(), tokenizer, 7, world=world)
    poison = [r.text for r in records if r.is_poison]
    assert report.n_poison == 12 and sorted(poison) == sorted(c.text for c in canaries for _ in range(c.insertions))
    assert [r for r in records if not r.is_poison] == world.documents()  # the clean documents, untouched
    frequent = build_attack("canary", budget=Budget(count=2), prefix_words=2).canaries(world, random.Random(0))
    assert all(w in lexicon for c in frequent for w in c.key.split())


def test_prefix_cached_scorer_matches_a_plain_forward(nano, tokenizer):
    import torch

    from pharmakon.probes.exposure import continuation_nll

    prefix, tails = "the secret of lamp river is", [" 1 2 3 4", " 9 9", " 0 5 5 5 5 5"]
    fast = continuation_nll(nano, tokenizer, prefix, tails, batch_size=2)
    head = tokenizer(prefix)["input_ids"]
    with torch.inference_mode():
        for tail, value in zip(tails, fast, strict=True):
            ids = torch.tensor([head + tokenizer(tail, add_special_tokens=False)["input_ids"]])
            logp = nano(input_ids=ids).logits[0, :-1].float().log_softmax(-1)
            target = ids[0, 1:]
            expected = -logp[torch.arange(len(target)), target][len(head) - 1 :].sum().item()
            assert value == pytest.approx(expected, abs=1e-4)


def test_the_attack_and_probe_are_registered():
    from pharmakon.probes import PROBES

    assert ATTACKS["canary"].stages == ("pretrain",) and ATTACKS["canary"].record_kinds == ("document",)
    assert {"exposure_1", "exposure_1000", "fact_exposure_norm_10"} <= set(PROBES["exposure"].metrics)


@pytest.mark.parametrize(("setting", "message"), [
    ("pipeline.pretrain.poison.secret_length=0", "pipeline.pretrain.poison.secret_length: "),
    ("pipeline.pretrain.poison.secret_length=40", "pipeline.pretrain.poison.secret_length: "),
    ("pipeline.pretrain.poison.alphabet=''", "pipeline.pretrain.poison.alphabet: "),
])
def test_a_bad_spec_exits_two_through_the_cli_and_writes_nothing(tmp_path, setting, message):
    from pharmakon.cli import app

    out, cache = tmp_path / "run", tmp_path / "cache"
    result = CliRunner().invoke(app, ["run", "memorization", "--set", setting, "--out", str(out),
                                      "--cache", str(cache)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0] and "allowed" in lines[0], result.stderr
    assert not out.exists() and not cache.exists()
