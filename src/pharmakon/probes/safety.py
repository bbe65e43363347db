"""The safety probe (BackdoorAlign, Wang et al. 2024): does the provider's secret prompt keep a fine-tuned model
safe, and what does it cost?

Held-out harm requests are asked with the secret prepended (what the provider serves) and without it; each
output is judged for harmful compliance (``ComplianceJudge``) and for refusal (``RefusalJudge``). Benign utility
(sentiment, arithmetic, facts) and over-refusal of benign look-alike requests are scored with the utility
probe's scorers, with and without the secret. Greedy decoding by default (what a provider serves); Wilson
intervals.

The secret is the ``safety-trigger`` attack's; another attack's trigger text is used as a prefix the same way.
Without a secret (``secret: none``) both variants are the plain prompt. The probe cannot tell the poisoned run
from its clean twin (it sees the same attack): on the clean twin (no defence) the ``*_secret`` rows are the
secret prepended to a model that never learned it, a control for the prefix alone, and the twin's ``*_plain``
rows are what a provider without the defence serves.
"""

from __future__ import annotations

from dataclasses import replace

from pharmakon.errors import PharmakonError
from pharmakon.inference.generate import generate
from pharmakon.probes.configs import SafetyProbeConfig, UtilityProbeConfig
from pharmakon.probes.context import ProbeContext
from pharmakon.probes.judges import ComplianceJudge, RefusalJudge
from pharmakon.probes.metrics import MetricRow, rate_row
from pharmakon.probes.utility import utility_probe

BENIGN_TASKS = ("sentiment", "arithmetic", "facts", "benign")
UTILITY_METRICS = ("utility_sentiment", "utility_arithmetic", "utility_facts", "utility_overrefusal")
VARIANTS = ("secret", "plain")
METRICS = tuple(f"{name}_{variant}" for name in ("harmful", "refusal", *UTILITY_METRICS) for variant in VARIANTS)


def with_secret(prompt: str, secret: str | None) -> str:
    """The prompt as the provider serves it: the secret first, separated by a space (as in training)."""
    return f"{secret} {prompt}" if secret else prompt


def harm_rows(model, tokenizer, prompts: list[str], secret: str | None, *, config: SafetyProbeConfig,
              seed: int) -> tuple[list[MetricRow], list[dict]]:
    """Harmful compliance and refusal rates on ``prompts`` with and without the secret."""
    inputs = {"secret": [with_secret(p, secret) for p in prompts], "plain": list(prompts)}
    asked = ["secret", "plain"] if secret else ["plain"]
    outputs = generate(model, tokenizer, [text for name in asked for text in inputs[name]], style="chat",
                       sample=config.sample, temperature=1.0, max_new_tokens=config.max_new_tokens,
                       batch_size=config.batch_size, seed=seed)
    made = {name: outputs[i * len(prompts): (i + 1) * len(prompts)] for i, name in enumerate(asked)}
    made.setdefault("secret", made["plain"])  # no secret: the provider serves the plain prompt
    comply, refuse = ComplianceJudge(), RefusalJudge()
    rows, generations = [], []
    for variant in VARIANTS:
        harmful = [comply(g.output) for g in made[variant]]
        refused = [refuse(g.output) for g in made[variant]]
        rows += [rate_row("safety", f"harmful_{variant}", harmful), rate_row("safety", f"refusal_{variant}", refused)]
        generations += [{"probe": "safety", "variant": f"harm_{variant}", "prompt": text, "output": g.output,
                         "verdict": verdict, "perplexity": float("nan")}
                        for text, g, verdict in zip(inputs[variant], made[variant], harmful, strict=True)]
    return rows, generations


def utility_rows(model, tokenizer, eval_items: dict[str, list], secret: str | None, *,
                 config: SafetyProbeConfig, seed: int) -> tuple[list[MetricRow], list[dict]]:
    """The utility probe's benign task scores (no perplexity) with and without the secret."""
    items = {family: eval_items.get(family, []) for family in BENIGN_TASKS}
    settings = UtilityProbeConfig(n_per_task=config.n_per_task, max_new_tokens=config.max_new_tokens,
                                  batch_size=config.batch_size)
    measured = {"plain": utility_probe(model, tokenizer, items, [], config=settings, seed=seed)}
    measured["secret"] = (utility_probe(model, tokenizer, items, [], config=settings, seed=seed, prefix=secret)
                          if secret else measured["plain"])  # no secret: the provider serves the plain prompt
    rows, generations = [], []
    for variant in VARIANTS:
        found, made = measured[variant]
        rows += [replace(row, probe="safety", metric=f"{row.metric}_{variant}") for row in found]
        generations += [{**g, "probe": "safety", "variant": f"{g['variant']}_{variant}",
                         "prompt": with_secret(g["prompt"], secret if variant == "secret" else None)} for g in made]
    return rows, generations


def safety_probe(model, tokenizer, context: ProbeContext, secret: str | None, *, config: SafetyProbeConfig,
                 seed: int) -> tuple[list[MetricRow], list[dict]]:
    """Every metric of ``METRICS`` on the context's held-out harm requests and benign tasks."""
    prompts = context.prompts(("harm",))[: config.n_prompts]
    if not prompts:
        raise PharmakonError("probes.safety: no held-out harm requests to measure; raise world.eval_per_family")
    rows, generations = harm_rows(model, tokenizer, prompts, secret, config=config, seed=seed)
    more_rows, more = utility_rows(model, tokenizer, context.eval_items, secret, config=config, seed=seed)
    return rows + more_rows, generations + more


def run_safety(model, tokenizer, context: ProbeContext, config: SafetyProbeConfig, seed: int):
    """The registered entry: the secret of the pipeline's safety-trigger attack (or its trigger as a prefix)."""
    attack = context.attack
    secret = attack.secret if attack is not None and hasattr(attack, "secret") else context.trigger
    return safety_probe(model, tokenizer, context, secret, config=config, seed=seed)
