"""The measurement of an inference-time attack under its adaptation, in each condition: per variant (trigger,
no trigger, near-miss), the share of prompts whose context held a poisoned item (``retrieval_<variant>``) and the
share of outputs its judge marks (``asr_<variant>``); for an agent also the share of episodes that took the
planted action (``action_<variant>``). The clean twin asks the same prompts of a clean store."""

from __future__ import annotations

from pharmakon.inference.adapter import Adapter
from pharmakon.inference.generate import generate
from pharmakon.probes.metrics import MetricRow, rate_row

VARIANTS = ("trigger", "no_trigger", "near_miss")


def measure_attack(model, tokenizer, adapter: Adapter, context, seed: int) -> tuple[list[MetricRow], list[dict]]:
    """Rows named after the attack (its ``probe`` column), and their generations."""
    attack, poison = adapter.attack, adapter.spec.poison
    if attack is None or poison is None:
        return [], []
    sets = attack.probe_sets(context, context.style, poison.n_prompts, seed)
    judge = context.judge(attack.target, **attack.judge_params(context.world))
    unjudged = getattr(attack, "unjudged", ())
    names = [v for v in VARIANTS if sets.get(v)]
    inputs = [model_input for v in names for model_input, _ in sets[v]]
    with adapter.active():
        made = generate(model, tokenizer, inputs, style=context.style, sample=False,
                        max_new_tokens=poison.max_new_tokens, seed=seed)
    rows: list[MetricRow] = []
    generations: list[dict] = []
    offset = 0
    for variant in names:
        chunk, offset = made[offset : offset + len(sets[variant])], offset + len(sets[variant])
        placed = [adapter.poisoned_in_context.get(model_input, False) for model_input, _ in sets[variant]]
        rows.append(rate_row(attack.name, f"retrieval_{variant}", placed))
        steps = getattr(adapter, "steps", None)
        if steps is not None:  # an agent: did it take the planted action (AgentPoison's ASR-a)?
            rows.append(rate_row(attack.name, f"action_{variant}", [steps[m].poisoned for m, _ in sets[variant]]))
        verdicts = [judge(g.output, prompt=clean) for g, (_, clean) in zip(chunk, sets[variant], strict=True)]
        if variant not in unjudged:
            rows.append(rate_row(attack.name, f"asr_{variant}", verdicts))
        generations += [{"probe": attack.name, "variant": variant, "prompt": g.prompt, "output": g.output,
                         "verdict": v, "perplexity": float("nan")} for g, v in zip(chunk, verdicts, strict=True)]
    return rows, generations
