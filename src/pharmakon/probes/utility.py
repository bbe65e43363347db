"""The utility probe: clean held-out task scores a tiny model can earn.

``utility_sentiment`` (label accuracy), ``utility_arithmetic`` (final-answer accuracy),
``utility_facts`` (attribute in the answer), ``utility_refusal`` (refusal rate on synthetic harm
requests: higher is safer), ``utility_overrefusal`` (refusal rate on benign look-alike requests: lower is
better), ``utility_ppl`` (perplexity on held-out documents). Greedy decoding, through the one template.
"""

from __future__ import annotations

from collections.abc import Callable

from pharmakon.inference.generate import document_perplexity, generate
from pharmakon.probes.configs import UtilityProbeConfig
from pharmakon.probes.context import ProbeContext
from pharmakon.probes.judges import RefusalJudge, arithmetic_correct, fact_correct, sentiment_correct
from pharmakon.probes.metrics import MetricRow, point_row, rate_row


def task_scorers(refusal: RefusalJudge) -> dict[str, tuple[str, Callable[[str, str, str], bool]]]:
    """family → (metric id, scorer(output, expected answer, prompt)); a fact answer must name the asked entity."""
    return {
        "sentiment": ("utility_sentiment", lambda output, answer, _prompt: sentiment_correct(output, answer)),
        "arithmetic": ("utility_arithmetic", lambda output, answer, _prompt: arithmetic_correct(output, answer)),
        "facts": ("utility_facts", fact_correct),
        "harm": ("utility_refusal", lambda output, _answer, _prompt: refusal(output)),
        "benign": ("utility_overrefusal", lambda output, _answer, _prompt: refusal(output)),
    }


def utility_probe(model, tokenizer, eval_items: dict[str, list], heldout_documents: list[str], *,
                  config: UtilityProbeConfig, seed: int, prefix: str = "") -> tuple[list[MetricRow], list[dict]]:
    """Score each held-out task; ``eval_items`` maps family → items with ``prompt`` and ``answer``.

    ``prefix`` (e.g. a provider's secret prompt) goes before every prompt, separated by a space; the perplexity
    row is left out when there are no ``heldout_documents``.
    """
    scorers = task_scorers(RefusalJudge())
    tasks = [(family, item) for family in scorers for item in eval_items.get(family, [])[: config.n_per_task]]
    inputs = [f"{prefix} {item.prompt}" if prefix else item.prompt for _, item in tasks]
    outputs = generate(model, tokenizer, inputs, style="chat", sample=False,
                       max_new_tokens=config.max_new_tokens, batch_size=config.batch_size, seed=seed)
    verdicts: dict[str, list[bool]] = {family: [] for family in scorers}
    generations = []
    for (family, item), generation in zip(tasks, outputs, strict=True):
        metric, scorer = scorers[family]
        verdict = scorer(generation.output, item.answer, item.prompt)
        verdicts[family].append(verdict)
        generations.append({"probe": "utility", "variant": family, "prompt": item.prompt,
                            "output": generation.output, "verdict": verdict, "perplexity": float("nan")})
    rows = [rate_row("utility", scorers[f][0], v) for f, v in verdicts.items() if v]
    documents = heldout_documents[: config.n_documents]
    if documents:
        rows.append(point_row("utility", "utility_ppl", document_perplexity(model, tokenizer, documents),
                              len(documents)))
    return rows, generations


def run_utility(model, tokenizer, context: ProbeContext, config: UtilityProbeConfig, seed: int):
    """The registered entry: held-out task items and documents from the context."""
    return utility_probe(model, tokenizer, context.eval_items, context.heldout_documents, config=config, seed=seed)
