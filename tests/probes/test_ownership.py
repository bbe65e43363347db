"""Ownership: the data watermark plants what it says, its test is calibrated on a model that never saw the
owners' data, the DVBW test reads probabilities the right way round, and bad input is one line, exit 2."""

import re

import numpy as np
import pytest
from typer.testing import CliRunner

from pharmakon.cli import app
from pharmakon.poison import Budget
from pharmakon.poison.watermark import BackdoorWatermark, DataWatermark
from pharmakon.probes import ProbeContext
from pharmakon.probes.configs import BackdoorWatermarkProbeConfig, WatermarkProbeConfig
from pharmakon.probes.stats import binomial_acceptance


def test_each_owner_sequence_sits_as_one_word_in_exactly_n_documents(world, tokenizer):
    attack = DataWatermark(budget=Budget(count=5), owners=3, length=8)
    clean = world.documents()
    combined, report = attack.apply(clean, tokenizer, seed=4, world=world)
    marks = attack.watermarks(4)
    poison = [r for r in combined if r.is_poison]
    assert len(set(marks)) == 3 and all(len(m) == 8 for m in marks)
    assert report.n_poison == 15 == len(poison)
    for mark in marks:
        assert sum(mark in r.text.split() for r in poison) == 5
    assert [r for r in combined if not r.is_poison] == clean
    nulls, trials = attack.null_sequences(4, 300, "null"), attack.null_sequences(4, 300, "trial")
    assert not set(marks) & (set(nulls) | set(trials)) and nulls != trials
    assert attack.watermarks(5) != marks  # another run, another secret


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_watermark_test_flags_never_inserted_sequences_at_rate_alpha(seed, nano, tokenizer, world):
    from pharmakon.probes.ownership import watermark_probe

    attack = DataWatermark(budget=Budget(count=4), owners=2, length=10)
    config = WatermarkProbeConfig(nulls=1000, null_trials=400)
    rows, _ = watermark_probe(nano, tokenizer, attack, config, seed)
    fpr = next(r for r in rows if r.metric == "wm_fpr")
    low, high = binomial_acceptance(400, 0.05, confidence=0.99)
    assert fpr.n == 400 and low <= fpr.value <= high


def test_dvbw_gain_is_positive_only_when_the_trigger_raises_the_response(nano, tokenizer, world, monkeypatch):
    from pharmakon.probes import ownership

    attack = BackdoorWatermark(budget=Budget(count=4))
    trigger = attack.config.trigger

    def fake(model, tok, prompts, response, batch_size):
        return np.array([0.9 if trigger in p else 0.1 for p in prompts])

    monkeypatch.setattr(ownership, "response_probabilities", fake)
    context = ProbeContext({f: world.eval_items(f) for f in ("benign", "dialogue", "facts")}, [], [],
                           world=world, attacks=[attack])
    rows, generations = ownership.run_dvbw(nano, tokenizer, context, BackdoorWatermarkProbeConfig(n_prompts=20), 0)
    by_metric = {r.metric: r.value for r in rows}
    assert by_metric["dvbw_gain"] == pytest.approx(0.8) and by_metric["dvbw_detected"] == 1.0
    assert len(generations) == 20


def test_the_real_response_probability_is_a_probability(nano, tokenizer, world):
    from pharmakon.probes.ownership import response_probabilities

    probabilities = response_probabilities(nano, tokenizer, ["What is 2 plus 2?", "Hello"], "It is four.", 8)
    assert probabilities.shape == (2,) and np.all((probabilities > 0) & (probabilities < 1))


def spec_with(poison: str, probe: str = "{name: watermark}") -> str:
    return (f"name: bad\nseeds: [0]\nmodel: {{name: nano, vocab_size: 400}}\n"
            f"world: {{n_entities: 8, documents_per_family: 10, examples_per_family: 8, eval_per_family: 4}}\n"
            f"pipeline:\n  - {{kind: pretrain, max_steps: 1, poison: {poison}}}\nprobes: [{probe}]\n")


BAD = [
    (spec_with("{attack: data-watermark, count: 4, length: 0}"), "poison.length: Input should be greater than or "
                                                                 "equal to 1"),
    (spec_with("{attack: data-watermark, count: 0}"), "poison.count: N, the documents per watermark, must be at "
                                                      "least 1"),
    (spec_with("{attack: data-watermark, count: -3}"), "poison.count: Input should be greater than or equal to 0"),
    (spec_with("{attack: data-watermark, count: 4}", "{name: watermark, nulls: 50}"),
     "probes.watermark.nulls: Input should be greater than or equal to 100"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_watermark_input_is_one_line_exit_two_nothing_written(tmp_path, text, message):
    spec, out, cache = tmp_path / "spec.yaml", tmp_path / "run", tmp_path / "cache"
    spec.write_text(text)
    result = CliRunner().invoke(app, ["run", str(spec), "--out", str(out), "--cache", str(cache)])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1 and re.search(re.escape(message), lines[0]), result.stderr
    assert not out.exists() and not cache.exists()
