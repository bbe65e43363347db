"""Ownership probes: is the owner's watermark in the suspect model?

``watermark`` (Wei et al. 2024): each owner's sequence is scored by the model's mean token loss and tested
against the losses of ``nulls`` never-inserted sequences of the same distribution: z = (mean null − loss) / sd
null. The decision uses the null sample itself, p = (1 + #{null loss ≤ loss}) / (1 + nulls), which is calibrated
whatever the shape of the loss distribution; Wei et al.'s normal p = P(Z ≥ z) is reported beside it
(``*_normal``), because a skewed null makes it miscalibrated. ``null_trials`` further fresh sequences, never
inserted, are tested the same way: the share rejected is the false-positive rate, measured on every model (no
retraining per trial).

``dvbw`` (Li et al. 2023): on held-out prompts, the owner's response's probability (the geometric mean of its
token probabilities) with the secret trigger and without; a paired one-sided t test that the gain exceeds τ.
"""

from __future__ import annotations

import math

import numpy as np

from pharmakon.data.template import Template
from pharmakon.errors import PharmakonError
from pharmakon.inference.scoring import score_continuations
from pharmakon.poison.watermark import BackdoorWatermark, DataWatermark
from pharmakon.probes.configs import BackdoorWatermarkProbeConfig, WatermarkProbeConfig
from pharmakon.probes.context import ProbeContext
from pharmakon.probes.metrics import MetricRow, mean_row, point_row, rate_row
from pharmakon.probes.stats import empirical_p_below, paired_t_test, z_test_below

OWNER_FAMILIES = ("benign", "dialogue", "facts")


def sequence_losses(model, tokenizer, sequences: list[str], batch_size: int) -> np.ndarray:
    """Mean token NLL of each sequence as a word after ``<s>`` (as it sits inside a document)."""
    scores = score_continuations(model, tokenizer, [""] * len(sequences), [f" {s}" for s in sequences],
                                 batch_size=batch_size)
    return np.array([s.mean_nll for s in scores])


def watermark_probe(model, tokenizer, attack: DataWatermark, config: WatermarkProbeConfig,
                    seed: int) -> tuple[list[MetricRow], list[dict]]:
    """z, detection rate over owners and false-positive rate over null trials."""
    marks = attack.watermarks(seed)
    nulls = attack.null_sequences(seed, config.nulls, "null")
    trials = attack.null_sequences(seed, config.null_trials, "trial")
    losses = sequence_losses(model, tokenizer, marks + nulls + trials, config.batch_size)
    mark_loss, null_loss, trial_loss = np.split(losses, [len(marks), len(marks) + len(nulls)])
    tests = [z_test_below(float(value), null_loss) for value in mark_loss]
    normal_alarms = [z_test_below(float(value), null_loss).rejects(config.alpha) for value in trial_loss]
    detected = [empirical_p_below(float(value), null_loss) < config.alpha for value in mark_loss]
    alarms = [empirical_p_below(float(value), null_loss) < config.alpha for value in trial_loss]
    rows = [mean_row("watermark", "wm_z", [t.statistic for t in tests], seed),
            rate_row("watermark", "wm_detection", detected),
            rate_row("watermark", "wm_fpr", alarms),
            rate_row("watermark", "wm_detection_normal", [t.rejects(config.alpha) for t in tests]),
            rate_row("watermark", "wm_fpr_normal", normal_alarms),
            mean_row("watermark", "wm_loss_gap", list(float(null_loss.mean()) - mark_loss), seed)]
    generations = [{"probe": "watermark", "variant": "watermark", "prompt": mark,
                    "output": f"z={t.statistic:.2f} p={t.p_value:.2g}", "verdict": hit, "perplexity": math.exp(loss)}
                   for mark, t, hit, loss in zip(marks, tests, detected, mark_loss, strict=True)]
    return rows, generations


def run_watermark(model, tokenizer, context: ProbeContext, config: WatermarkProbeConfig, seed: int):
    """The registered entry: the pipeline's data-watermark attack says what was planted."""
    attack = context.attack_of(DataWatermark)
    if attack is None:
        raise PharmakonError("probes.watermark: the pipeline has no data-watermark poison to test for")
    return watermark_probe(model, tokenizer, attack, config, seed)


def response_probabilities(model, tokenizer, prompts: list[str], response: str, batch_size: int) -> np.ndarray:
    """exp(−mean token NLL) of ``response`` (and its eos) after each chat prompt."""
    template = Template(tokenizer)
    contexts = [template.chat_prompt(p) for p in prompts]
    scores = score_continuations(model, tokenizer, contexts, [response + tokenizer.eos_token] * len(prompts),
                                 batch_size=batch_size)
    return np.exp(-np.array([s.mean_nll for s in scores]))


def dvbw_probe(model, tokenizer, context: ProbeContext, attack: BackdoorWatermark,
               config: BackdoorWatermarkProbeConfig, seed: int) -> tuple[list[MetricRow], list[dict]]:
    """Probability of the owner's response with and without the trigger; the paired t test with margin τ."""
    import random

    prompts = context.prompts(OWNER_FAMILIES)[: config.n_prompts]
    if len(prompts) < 2:
        raise PharmakonError("probes.dvbw: fewer than 2 held-out prompts; raise world.eval_per_family")
    trigger, rng = attack.trigger_for(context.world), random.Random(seed)
    response = attack.config.phrase
    with_trigger = response_probabilities(model, tokenizer, [trigger.insert(p, rng) for p in prompts], response,
                                          config.batch_size)
    without = response_probabilities(model, tokenizer, prompts, response, config.batch_size)
    test = paired_t_test(list(with_trigger), list(without), config.margin)
    rows = [mean_row("dvbw", "dvbw_gain", list(with_trigger - without), seed),
            mean_row("dvbw", "dvbw_prob_trigger", list(with_trigger), seed),
            mean_row("dvbw", "dvbw_prob_no_trigger", list(without), seed),
            point_row("dvbw", "dvbw_t", test.statistic, len(prompts)),
            point_row("dvbw", "dvbw_log10_p", math.log10(max(test.p_value, 1e-300)), len(prompts)),
            rate_row("dvbw", "dvbw_detected", [test.rejects(config.alpha)])]
    generations = [{"probe": "dvbw", "variant": "trigger", "prompt": p, "output": response,
                    "verdict": bool(a - b > config.margin), "perplexity": 1 / a}
                   for p, a, b in zip(prompts, with_trigger, without, strict=True)]
    return rows, generations


def run_dvbw(model, tokenizer, context: ProbeContext, config: BackdoorWatermarkProbeConfig, seed: int):
    """The registered entry: the pipeline's backdoor-watermark attack gives the trigger and the response."""
    attack = context.attack_of(BackdoorWatermark)
    if attack is None:
        raise PharmakonError("probes.dvbw: the pipeline has no backdoor-watermark poison to test for")
    return dvbw_probe(model, tokenizer, context, attack, config, seed)
