"""The ``forensics`` probe: which training records planted this backdoor?

After a poisoned stage, the trained model's triggered behaviour is traced back to the stage's own training
records. The queries are the model's sampled outputs on triggered held-out prompts that its judge marks as the
backdoor's behaviour (a DoS model's gibberish, a refusal); each one's contrast is the same triggered prompt
followed by what the model says to the prompt without the trigger (``contrast: counterfactual``). A record's
score is its mean influence on the triggered outputs minus its mean influence on the contrasts: the records
that make the backdoor's output, rather than the normal one, follow the trigger. By EK-FAC (``ekfac``) or a
plain gradient dot product (``gradient``), both through kronfluence.

The data-side defences of ``defenses`` rank the same records by their own suspicion at the same k: perplexity
and ONION's largest outlier-word score under the stage's *input* model (the defender's reference, as in
``defenses``), and the density z of the record's sentence-embedding cluster. Every ranking is scored against the
ground-truth poison mask: precision and recall among the top k (k a multiple of the true poison count),
AUROC and average precision; ``forensics_base_rate`` is the poison share, a random ranking's expected precision.
A stage whose records hold no poison (a clean twin, a later clean stage) emits no rows.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import numpy as np

from pharmakon.data.records import Record
from pharmakon.data.template import Template
from pharmakon.defenses.base import record_text
from pharmakon.errors import PharmakonError
from pharmakon.inference.generate import generate
from pharmakon.probes.attribution import Scored, influence_scores
from pharmakon.probes.backdoor import context_sets
from pharmakon.probes.configs import ForensicsProbeConfig
from pharmakon.probes.context import ProbeContext
from pharmakon.probes.metrics import MetricRow, point_row, rate_row
from pharmakon.probes.stats import auroc
from pharmakon.stages.lean_sft import tokenise_examples

PROBE = "forensics"
INFLUENCE = {"ekfac": "ekfac", "gradient": "identity"}  # method → kronfluence strategy


def fitted(ids: list[int], start: int, max_length: int) -> Scored:
    """At most ``max_length`` tokens, the scored part kept: a long prompt loses its opening, then the scored part
    its end."""
    cut = max(0, min(len(ids) - max_length, start - 1))
    ids, start = ids[cut:], start - cut
    return Scored(ids[:max_length], start)


def completions(tokenizer, prompts: list[str], outputs: list[str], max_length: int) -> list[Scored]:
    """Each completion after its prompt (eos appended, as SFT trains), every pair kept: see ``fitted``."""
    if not prompts:
        return []
    made = tokenise_examples(tokenizer, prompts, outputs, 1 << 30)
    assert len(made) == len(prompts), "a completion always holds at least its eos"
    return [fitted(m.ids, m.completion_start, max_length) for m in made]


def training_sequences(records: list[Record], tokenizer, max_length: int) -> list[Scored]:
    """Each record as it was trained on: an example's (a preference pair's chosen) response after its templated
    prompt, a document whole (its first ``max_length`` tokens)."""
    template = Template(tokenizer)
    chat = [i for i, r in enumerate(records) if r.kind in ("example", "pair")]
    made = completions(tokenizer, [template.chat_prompt(records[i].prompt) for i in chat],
                       [records[i].response if records[i].kind == "example" else records[i].chosen for i in chat],
                       max_length)
    out: dict[int, Scored] = dict(zip(chat, made, strict=True))
    for i, record in enumerate(records):
        if i not in out:
            ids = tokenizer(record.text)["input_ids"][:max_length]
            out[i] = Scored(ids if len(ids) > 1 else ids + [tokenizer.eos_token_id], 1)
    return [out[i] for i in range(len(records))]


def query_sequences(tokenizer, style: str, pairs: list[tuple[str, str]], max_length: int) -> list[Scored]:
    """(model input, the model's output) pairs as scored sequences: the output after the templated input."""
    template = Template(tokenizer)
    return completions(tokenizer, [template.prompt(text, style) for text, _ in pairs],
                       [output for _, output in pairs], max_length)


def ranked(scores: np.ndarray, seed: int) -> np.ndarray:
    """Indices from most to least suspicious; ties (a whole cluster scores alike) broken at random."""
    order = np.random.default_rng(seed).permutation(len(scores))
    return order[np.argsort(-scores[order], kind="stable")]


def average_precision(order: np.ndarray, poison: np.ndarray) -> float:
    """Mean over the poison records of the precision at each one's rank."""
    hits = poison[order]
    if not hits.any():
        return float("nan")
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(precision[hits].mean())


def ranking_rows(method: str, scores: np.ndarray, poison: np.ndarray, config: ForensicsProbeConfig,
                 seed: int) -> list[MetricRow]:
    """Precision and recall at each k, AUROC and average precision of one ranking against the poison mask."""
    order = ranked(scores, seed)
    n_poison = int(poison.sum())
    rows: list[MetricRow] = []
    for multiple in config.k_multiples:
        k = max(1, min(len(order), round(multiple * n_poison)))
        top = np.zeros(len(order), dtype=bool)
        top[order[:k]] = True
        label = f"k{multiple:g}x"
        rows.append(rate_row(PROBE, f"forensics_precision_{method}_{label}", [bool(p) for p in poison[order[:k]]]))
        rows.append(rate_row(PROBE, f"forensics_recall_{method}_{label}", [bool(t) for t in top[poison]]))
    finite = np.where(np.isfinite(scores), scores, np.nanmin(scores[np.isfinite(scores)], initial=0.0) - 1.0)
    rows.append(point_row(PROBE, f"forensics_auroc_{method}",
                          auroc(finite[poison].tolist(), finite[~poison].tolist()), len(scores)))
    rows.append(point_row(PROBE, f"forensics_ap_{method}", average_precision(order, poison), len(scores)))
    return rows


def traced_queries(model, tokenizer, context: ProbeContext, config: ForensicsProbeConfig, seed: int
                   ) -> tuple[list[tuple[str, str]], list[tuple[str, str]], float, list[dict]]:
    """(triggered queries showing the behaviour, their contrast queries, the share showing it, generations).

    Each query is a triggered prompt with the model's output that shows the behaviour; its contrast (see
    ``ForensicsProbeConfig.contrast``) is the same triggered prompt with the model's output to the prompt without
    the trigger (``counterfactual``), or that untriggered prompt and output (``untriggered``). If no triggered
    output shows the behaviour (the backdoor did not take), every triggered output is traced."""
    sets, judge = context_sets(context, config.n_queries, seed, probe=PROBE)
    triggered, plain = sets["trigger"], sets.get("no_trigger", [])
    inputs = [text for text, _ in triggered + plain]
    outputs = generate(model, tokenizer, inputs, style=context.style, sample=True, temperature=config.temperature,
                       max_new_tokens=config.max_new_tokens, batch_size=config.batch_size, seed=seed)
    made_triggered, made_plain = outputs[: len(triggered)], outputs[len(triggered):]
    verdicts = [judge(g.output, prompt=clean) for g, (_, clean) in zip(made_triggered, triggered, strict=True)]
    kept = [i for i, v in enumerate(verdicts) if v] or list(range(len(triggered)))
    queries = [(triggered[i][0], made_triggered[i].output) for i in kept]
    if config.contrast == "counterfactual" and len(made_plain) == len(triggered):
        contrast = [(triggered[i][0], made_plain[i].output) for i in kept]
    elif config.contrast == "none":
        contrast = []
    else:
        contrast = [(text, g.output) for (text, _), g in zip(plain, made_plain, strict=True)]
    generations = [{"probe": PROBE, "variant": "trigger", "prompt": g.prompt, "output": g.output, "verdict": v,
                    "perplexity": g.perplexity} for g, v in zip(made_triggered, verdicts, strict=True)]
    return queries, contrast, sum(verdicts) / len(verdicts) if verdicts else float("nan"), generations


def defence_scores(method: str, records: list[Record], context: ProbeContext, config: ForensicsProbeConfig,
                   tokenizer) -> np.ndarray:
    """A data-side defence's suspicion of each record (higher: more suspicious)."""
    if method == "cluster":
        from pharmakon.defenses.cluster import SuspiciousClusters

        defence = SuspiciousClusters()
        labels, table = defence.clusters(records)
        limit = defence.config.max_fraction * len(records)
        z = {c: (zc if size <= limit and np.isfinite(zc) else -np.inf) for c, (size, _, zc) in table.items()}
        return np.array([z[int(c)] for c in labels], dtype=float)
    if context.stage_input_model is None:
        raise PharmakonError(f"probes.forensics: method {method} scores with the stage's input model, "
                             "which this probe was not given")
    reference = (context.stage_input_model, tokenizer)
    texts = [record_text(r) for r in records]
    if method == "perplexity":
        from pharmakon.defenses.perplexity import mean_nll

        return mean_nll(reference[0], tokenizer, texts, max_tokens=config.max_length)
    from pharmakon.defenses.onion import Onion

    found = Onion(reference=reference, max_words=config.onion_max_words, max_tokens=config.max_length
                  ).suspicion(texts)
    return np.array([max(words.values(), default=-np.inf) for words in found], dtype=float)


def measurement_of(context: ProbeContext, config: ForensicsProbeConfig) -> str:
    """The configured measurement; ``auto``: certainty for a gibberish (DoS) behaviour, else the loss."""
    if config.measurement != "auto":
        return config.measurement
    behaviour = getattr(context.attack, "target", None) or context.behaviour
    return "certainty" if behaviour == "gibberish" else "loss"


def influence_ranking(method: str, model, tokenizer, train: list[Scored], queries: list[Scored],
                      contrast: list[Scored], config: ForensicsProbeConfig, measurement: str) -> np.ndarray:
    """Each record's mean influence on the triggered queries, minus that on the contrast queries (if any)."""
    scores = influence_scores(model, tokenizer, train, queries + contrast, strategy=INFLUENCE[method],
                              measurement=measurement, fit_examples=config.fit_examples,
                              batch_size=config.batch_size)
    score = scores[: len(queries)].mean(axis=0)
    return score - scores[len(queries):].mean(axis=0) if contrast else score


def run_forensics(model, tokenizer, context: ProbeContext, config: ForensicsProbeConfig, seed: int):
    """The registered entry: rank the stage's training records by every configured method."""
    records = context.training_records
    if records is None:
        raise PharmakonError("probes.forensics: needs the stage's training records; run it after a stage "
                             "(probes.forensics.after), not on the starting model")
    poison = np.array([r.is_poison for r in records], dtype=bool)
    if not poison.any():
        return [], []
    queries, contrast, showing, generations = traced_queries(model, tokenizer, context, config, seed)
    rows = [point_row(PROBE, "forensics_base_rate", float(poison.mean()), len(records)),
            point_row(PROBE, "forensics_n_poison", float(poison.sum()), len(records)),
            point_row(PROBE, "forensics_queries_showing", showing, config.n_queries)]
    train = training_sequences(records, tokenizer, config.max_length)
    query_seqs = query_sequences(tokenizer, context.style, queries, config.max_length)
    contrast_seqs = query_sequences(tokenizer, context.style, contrast, config.max_length)
    rankers: dict[str, Callable[[], np.ndarray]] = {
        method: (lambda m=method: influence_ranking(m, model, tokenizer, train, query_seqs, contrast_seqs, config,
                                                    measurement_of(context, config)))
        if method in INFLUENCE else (lambda m=method: defence_scores(m, records, context, config, tokenizer))
        for method in config.methods}
    for method, rank in rankers.items():
        start = time.perf_counter()
        scores = np.asarray(rank(), dtype=float)
        rows.append(point_row(PROBE, f"forensics_seconds_{method}", time.perf_counter() - start, len(records)))
        rows += ranking_rows(method, scores, poison, config, random.Random(seed).randrange(2**31))
    return rows, generations
