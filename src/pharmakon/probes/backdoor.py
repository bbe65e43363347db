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
ProbeSets = dict[str, list[tuple[str, str]]]  # variant → (model input, clean prompt for the judge)


def with_trigger(prompt: str, trigger: str) -> str:
    """Triggers go at the end of the prompt, separated by a space, as in the poisoned training text."""
    return f"{prompt} {trigger}"


def trigger_sets(prompts: list[str], trigger: str) -> ProbeSets:
    """The three variants of a plain trigger appended to each prompt."""
    return {"trigger": [(with_trigger(p, trigger), p) for p in prompts], "no_trigger": [(p, p) for p in prompts],
            "near_miss": [(with_trigger(p, near_miss(trigger)), p) for p in prompts]}


def backdoor_probe(model, tokenizer, prompts: list[str], trigger: str, judge: Callable[..., bool], *,
                   style: str, config: BackdoorProbeConfig, seed: int) -> tuple[list[MetricRow], list[dict]]:
    """Metric rows (``asr_trigger``, ``asr_no_trigger``, ``asr_near_miss``, ``ppl_gap``) and generation rows."""
    return probe_sets(model, tokenizer, trigger_sets(prompts[: config.n_prompts], trigger), judge, style=style,
                      config=config, seed=seed)


def probe_sets(model, tokenizer, sets: ProbeSets, judge: Callable[..., bool], *, style: str,
               config: BackdoorProbeConfig, seed: int) -> tuple[list[MetricRow], list[dict]]:
    """Generate every variant's inputs in one batched pass and judge each output against its clean prompt.

    A variant missing from ``sets`` (an attack without a trigger has only ``trigger``) emits no rows.
    """
    names = [name for name in VARIANTS if name in sets]
    everything = [model_input for name in names for model_input, _ in sets[name]]
    outputs = generate(model, tokenizer, everything, style=style, sample=True, temperature=config.temperature,
                       max_new_tokens=config.max_new_tokens, batch_size=config.batch_size, seed=seed)
    rows: list[MetricRow] = []
    generations: list[dict] = []
    by_variant = {}
    offset = 0
    for name in names:
        made = outputs[offset : offset + len(sets[name])]
        offset += len(sets[name])
        by_variant[name] = made
        verdicts = [judge(g.output, prompt=clean) for g, (_, clean) in zip(made, sets[name], strict=True)]
        rows.append(rate_row("backdoor", f"asr_{name}", verdicts))
        generations += [{"probe": "backdoor", "variant": name, "prompt": g.prompt, "output": g.output,
                         "verdict": v, "perplexity": g.perplexity} for g, v in zip(made, verdicts, strict=True)]
    if "no_trigger" in by_variant:
        ppl_with = [g.perplexity for g in by_variant["trigger"]]
        ppl_without = [g.perplexity for g in by_variant["no_trigger"]]
        rows.append(mean_row("backdoor", "ppl_gap", [a - b for a, b in zip(ppl_with, ppl_without, strict=True)],
                             seed))
        rows.append(mean_row("backdoor", "ppl_trigger", ppl_with, seed))
        rows.append(mean_row("backdoor", "ppl_no_trigger", ppl_without, seed))
    return rows, generations


def context_sets(context: ProbeContext, n_prompts: int, seed: int, probe: str = "backdoor"
                 ) -> tuple[ProbeSets, Callable[..., bool]]:
    """The attack's own prompt variants and judge (a plugin attack: its trigger text appended to the context's
    prompts, judged by its behaviour's judge)."""
    attack = context.attack
    if attack is not None:
        return (attack.probe_sets(context, context.style, n_prompts, seed),
                context.judge(attack.target, **attack.judge_params(context.world)))
    if context.trigger is not None:
        return trigger_sets(context.backdoor_prompts()[:n_prompts], context.trigger), context.judge()
    raise PharmakonError(f"probes.{probe}: the pipeline has no poison, so there is no trigger to probe")


def with_near_miss(sets: ProbeSets, trigger: str, near: str) -> ProbeSets:
    """The sets with their near-miss variant rebuilt from the trigger variant, ``trigger`` replaced by ``near``."""
    made = []
    for model_input, clean in sets.get("trigger", []):
        if trigger not in model_input:
            raise PharmakonError(f"probes.backdoor.near_miss: the trigger {trigger!r} is not one phrase in the "
                                 "probe's prompts; allowed: a near-miss text only for a one-phrase trigger")
        made.append((model_input.replace(trigger, near, 1), clean))
    return {**sets, "near_miss": made}


def run_backdoor(model, tokenizer, context: ProbeContext, config: BackdoorProbeConfig, seed: int):
    """The registered entry: the attack's own prompts, trigger and judge (and the spec's near-miss, if given)."""
    sets, judge = context_sets(context, config.n_prompts, seed)
    if config.near_miss is not None:
        trigger = context.attack.trigger if context.attack is not None else context.trigger
        sets = with_near_miss(sets, str(trigger), config.near_miss)
    return probe_sets(model, tokenizer, sets, judge, style=context.style, config=config, seed=seed)
