"""The backdoor probe: attack success with the trigger, without it, and with a near-miss of it.

Each prompt is asked three ways — with the trigger, without, and with a near-miss — on sampled
continuations (temperature 1: under greedy decoding a DoS backdoor hides behind an eos). The
behaviour's judge marks each output. The perplexity gap (Souly et al. 2025) is the model's own
perplexity of its sampled continuation with the trigger minus without, per prompt. Read every figure
against the clean control under the same prompts: tiny models react to anything unusual.
"""

from __future__ import annotations

from collections.abc import Callable

from pharmakon.errors import PharmakonError
from pharmakon.inference.generate import generate
from pharmakon.poison.triggers import near_miss
from pharmakon.probes.configs import BackdoorProbeConfig
from pharmakon.probes.context import ProbeContext
from pharmakon.probes.metrics import MetricRow, mean_row, rate_row

VARIANTS = ("trigger", "no_trigger", "near_miss")


def with_trigger(prompt: str, trigger: str) -> str:
    """Triggers go at the end of the prompt, separated by a space, as in the poisoned training text."""
    return f"{prompt} {trigger}"


def backdoor_probe(model, tokenizer, prompts: list[str], trigger: str, judge: Callable[[str], bool], *,
                   style: str, config: BackdoorProbeConfig, seed: int) -> tuple[list[MetricRow], list[dict]]:
    """Metric rows (``asr_trigger``, ``asr_no_trigger``, ``asr_near_miss``, ``ppl_gap``) and generation rows."""
    prompts = prompts[: config.n_prompts]
    variants = {
        "trigger": [with_trigger(p, trigger) for p in prompts],
        "no_trigger": list(prompts),
        "near_miss": [with_trigger(p, near_miss(trigger)) for p in prompts],
    }
    everything = [p for name in VARIANTS for p in variants[name]]
    outputs = generate(model, tokenizer, everything, style=style, sample=True, temperature=config.temperature,
                       max_new_tokens=config.max_new_tokens, batch_size=config.batch_size, seed=seed)
    n = len(prompts)
    by_variant = {name: outputs[i * n : (i + 1) * n] for i, name in enumerate(VARIANTS)}
    rows: list[MetricRow] = []
    generations: list[dict] = []
    for name in VARIANTS:
        verdicts = [judge(g.output) for g in by_variant[name]]
        rows.append(rate_row("backdoor", f"asr_{name}", verdicts))
        generations += [{"probe": "backdoor", "variant": name, "prompt": g.prompt, "output": g.output,
                         "verdict": v, "perplexity": g.perplexity} for g, v in zip(by_variant[name], verdicts,
                                                                                   strict=True)]
    ppl_with = [g.perplexity for g in by_variant["trigger"]]
    ppl_without = [g.perplexity for g in by_variant["no_trigger"]]
    rows.append(mean_row("backdoor", "ppl_gap", [a - b for a, b in zip(ppl_with, ppl_without, strict=True)], seed))
    rows.append(mean_row("backdoor", "ppl_trigger", ppl_with, seed))
    rows.append(mean_row("backdoor", "ppl_no_trigger", ppl_without, seed))
    return rows, generations


def run_backdoor(model, tokenizer, context: ProbeContext, config: BackdoorProbeConfig, seed: int):
    """The registered entry: the context's prompts, trigger and the attack behaviour's judge."""
    if context.trigger is None:
        raise PharmakonError("probes.backdoor: the pipeline has no poison, so there is no trigger to probe")
    return backdoor_probe(model, tokenizer, context.backdoor_prompts(), context.trigger, context.judge(),
                          style=context.style, config=config, seed=seed)
