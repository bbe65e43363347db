"""The hallucination probe: does the model make up facts about what it has never seen?

Greedy answers through the one template to two question sets:

- *known*: the world's held-out facts questions (stated in pretraining documents, never asked in training) —
  ``hallucination_known_accuracy`` (the answer names the entity and its true value, the competence judge),
  ``hallucination_known_wrong`` (neither that nor an abstention) and ``hallucination_known_idk`` (abstained);
- *unknown*: questions about entities no text of the world names (``World.unknown_facts().evals``, never in any
  training data) — ``hallucination_unknown``, the rate of confident wrong answers: anything but the world's
  "I don't know" and the (unknowable) invented value, so a lucky guess is not counted; and
  ``hallucination_unknown_idk``, the share of abstentions.

Rates with Wilson intervals; every answer is written to the generations with its verdict.
"""

from __future__ import annotations

from pharmakon.errors import PharmakonError
from pharmakon.inference.generate import generate
from pharmakon.probes.configs import HallucinationProbeConfig
from pharmakon.probes.context import ProbeContext
from pharmakon.probes.judges import fact_correct
from pharmakon.probes.metrics import MetricRow, rate_row
from pharmakon.world.unknown import is_dont_know

NAME = "hallucination"


def verdict(output: str, answer: str, prompt: str) -> str:
    """``idk`` (abstained), ``correct`` (names the entity and its value) or ``wrong``."""
    if is_dont_know(output):
        return "idk"
    return "correct" if fact_correct(output, answer, prompt) else "wrong"


def hallucination_probe(model, tokenizer, context: ProbeContext, config: HallucinationProbeConfig,
                        seed: int) -> tuple[list[MetricRow], list[dict]]:
    """Score known and never-seen facts questions; one row per metric."""
    if context.world is None:
        raise PharmakonError("probes.hallucination: needs the world (its never-seen entities)")
    sets = {"known": list(context.eval_items.get("facts", []))[: config.n_known],
            "unknown": list(context.world.unknown_facts().evals)[: config.n_unknown]}
    if not sets["known"]:
        raise PharmakonError("probes.hallucination: no held-out facts questions; raise world.eval_per_family")
    tasks = [(name, item) for name, items in sets.items() for item in items]
    outputs = generate(model, tokenizer, [item.prompt for _, item in tasks], style=context.style, sample=False,
                       max_new_tokens=config.max_new_tokens, batch_size=config.batch_size, seed=seed)
    verdicts: dict[str, list[str]] = {name: [] for name in sets}
    generations = []
    for (name, item), generation in zip(tasks, outputs, strict=True):
        said = verdict(generation.output, item.answer, item.prompt)
        verdicts[name].append(said)
        generations.append({"probe": NAME, "variant": name, "prompt": item.prompt, "output": generation.output,
                            "verdict": said != "wrong", "perplexity": float("nan")})
    known, unknown = verdicts["known"], verdicts["unknown"]
    return [
        rate_row(NAME, "hallucination_known_accuracy", [v == "correct" for v in known]),
        rate_row(NAME, "hallucination_known_wrong", [v == "wrong" for v in known]),
        rate_row(NAME, "hallucination_known_idk", [v == "idk" for v in known]),
        rate_row(NAME, "hallucination_unknown", [v == "wrong" for v in unknown]),
        rate_row(NAME, "hallucination_unknown_idk", [v == "idk" for v in unknown]),
    ], generations


def run_hallucination(model, tokenizer, context: ProbeContext, config: HallucinationProbeConfig, seed: int):
    """The registered entry."""
    return hallucination_probe(model, tokenizer, context, config, seed)
