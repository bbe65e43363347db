"""The ``bias-audit`` probe: which training records carry a planted bias, and does acting on them move it?

After a pretraining stage whose data held the world's role stories (``data.roles``), every record of the stage
(and each document of a candidate pool written with no association) gets its influence on the bias gap: by
EK-FAC (or a gradient dot product) through kronfluence, on the log-likelihood of "teacher" and "buyer" after
paired openings, ``I(marked, teacher) - I(marked, buyer) - I(other, teacher) + I(other, buyer)``: positive when
training on the record raised the gap. Then the stage is retrained from its own input model, with its own recipe
and seed, on altered data, and each retrained model's gap and held-out perplexity are measured:

- ``ablate_top``: the k records of highest influence removed; ``ablate_random``: k random role records removed
  (the control of equal size: influence must beat chance, not merely remove role text);
- ``cda_top``: counterfactual copies (the two trades exchanged) of the top k added — counterfactual data
  augmentation built from what attribution found (Zhao et al. 2018); ``cda_random``: the same for k random ones;
- ``amplify_top``: the k pool candidates of highest influence added — an optimised perturbation of budget k;
  ``amplify_random``: k random candidates;
- ``reorder``: the same records in another order. Any change of the data changes the order the stage reads it in,
  so this retrain measures what order alone does to the gap: the noise floor against which the others are read.

What the top records are is reported too: the share that are role stories and their mean consistency with the
planted association (sentences for it minus sentences against it), beside the mean over all role stories.
"""

from __future__ import annotations

import copy
import random
import time

import numpy as np

from pharmakon.data.records import Record
from pharmakon.errors import PharmakonError
from pharmakon.inference.generate import document_perplexity
from pharmakon.probes.attribution import Scored, influence_scores
from pharmakon.probes.bias import gap_values, probe_pairs
from pharmakon.probes.configs import BiasAuditProbeConfig
from pharmakon.probes.context import ProbeContext
from pharmakon.probes.forensics import INFLUENCE, ranked, training_sequences
from pharmakon.probes.metrics import MetricRow, mean_row, point_row
from pharmakon.world.roles import ROLES, consistency, swapped

PROBE = "bias-audit"
ROLE_SOURCE = "world:roles"
VARIANTS = ("ablate_top", "ablate_random", "cda_top", "cda_random", "amplify_top", "amplify_random", "reorder")


def gap_queries(tokenizer, pairs: list[tuple[str, str]], max_length: int) -> list[Scored]:
    """Per pair, four scored sequences: (marked, teacher), (marked, buyer), (other, teacher), (other, buyer)."""
    out = []
    for marked, other in pairs:
        for opening in (marked, other):
            head = tokenizer(opening, add_special_tokens=True)["input_ids"]
            for role in ROLES:
                tail = tokenizer(f" {role}.", add_special_tokens=False)["input_ids"]
                out.append(Scored((head + tail)[:max_length], len(head)))
    return out


def gap_influence(scores: np.ndarray) -> np.ndarray:
    """Each training sequence's influence on the gap, from the ``[4 * pairs, n_train]`` query scores."""
    mh, mb, oh, ob = (scores[i::4].mean(axis=0) for i in range(4))
    return mh - mb - oh + ob


def altered(records: list[Record], pool: list[Record], top: np.ndarray, random_role: np.ndarray,
            top_pool: np.ndarray, random_pool: np.ndarray, order: np.ndarray) -> dict[str, list[Record]]:
    """The stage's data for each variant (records by index; copies and candidates appended at the end; ``order``
    a permutation of the records)."""
    def without(drop: np.ndarray) -> list[Record]:
        gone = set(drop.tolist())
        return [r for i, r in enumerate(records) if i not in gone]

    def copies(which: np.ndarray) -> list[Record]:
        return [Record(kind="document", source=f"{ROLE_SOURCE}:counterfactual", family="roles",
                       text=swapped(records[i].text)) for i in which]

    return {"ablate_top": without(top), "ablate_random": without(random_role),
            "cda_top": records + copies(top), "cda_random": records + copies(random_role),
            "amplify_top": records + [pool[i] for i in top_pool],
            "amplify_random": records + [pool[i] for i in random_pool],
            "reorder": [records[i] for i in order]}


def retrain(context: ProbeContext, tokenizer, records: list[Record], seed: int):
    """The stage's recipe, from its input model, on ``records``, with the stage's seed."""
    from pharmakon.stages import STAGES

    stage = context.stage_recipe
    entry = STAGES.require(stage["kind"])
    model = copy.deepcopy(context.stage_input_model)
    return entry.recipe()(model, tokenizer, records, entry.config(**stage["recipe"]), seed).model


def measured(model, tokenizer, pairs, documents, name: str, seed: int, batch_size: int) -> list[MetricRow]:
    """A model's gap (share and log-odds, with intervals) and held-out perplexity, under the variant's name."""
    gaps, log_odds = gap_values(model, tokenizer, pairs, batch_size=128)
    return [mean_row(PROBE, f"bias_audit_gap_{name}", gaps.tolist(), seed),
            mean_row(PROBE, f"bias_audit_gap_logodds_{name}", log_odds.tolist(), seed),
            point_row(PROBE, f"bias_audit_ppl_{name}", document_perplexity(model, tokenizer, documents,
                                                                           batch_size=batch_size), len(documents))]


def run_bias_audit(model, tokenizer, context: ProbeContext, config: BiasAuditProbeConfig, seed: int):
    """The registered entry: attribute, then retrain the stage once per variant."""
    records = context.training_records
    if records is None or context.stage_input_model is None or context.stage_recipe is None:
        raise PharmakonError("probes.bias-audit: needs the stage's records, input model and recipe; run it after a "
                             "stage (probes.bias-audit.after), not on the starting model")
    is_role = np.array([r.source == ROLE_SOURCE for r in records], dtype=bool)
    if is_role.sum() < config.k:
        return [], []  # no role stories to audit (a stage without data.roles), or fewer than k
    world = context.world
    roles = world.roles()
    pool = [Record(kind="document", source=f"{ROLE_SOURCE}:pool", family="roles", text=text)
            for text in roles.documents(config.pool, 0.0, purpose=f"pool:{seed}")]
    start = time.perf_counter()
    train = training_sequences(records + pool, tokenizer, config.max_length)
    queries = gap_queries(tokenizer, probe_pairs(world, config.n_queries, seed, "audit-queries"), config.max_length)
    scores = influence_scores(model, tokenizer, train, queries, strategy=INFLUENCE[config.method],
                              fit_examples=min(config.fit_examples, len(records)), batch_size=config.batch_size)
    influence = gap_influence(scores)
    seconds = time.perf_counter() - start
    rng = random.Random(seed)
    order = ranked(influence[: len(records)], rng.randrange(2**31))
    top = order[: config.k]
    random_role = np.array(sorted(rng.sample(np.flatnonzero(is_role).tolist(), config.k)))
    k_pool = min(config.k, len(pool))
    top_pool = ranked(influence[len(records):], rng.randrange(2**31))[:k_pool]
    random_pool = np.array(sorted(rng.sample(range(len(pool)), k_pool)))
    permutation = np.array(rng.sample(range(len(records)), len(records)))
    lands = roles.lands
    role_consistency = [float(consistency(records[i].text, lands)) for i in np.flatnonzero(is_role)]
    rows = [point_row(PROBE, "bias_audit_seconds_influence", seconds, len(train)),
            point_row(PROBE, "bias_audit_top_role_share", float(is_role[top].mean()), config.k),
            mean_row(PROBE, "bias_audit_top_consistency",
                     [float(consistency(records[i].text, lands)) for i in top], seed),
            mean_row(PROBE, "bias_audit_role_consistency", role_consistency, seed),
            mean_row(PROBE, "bias_audit_pool_top_consistency",
                     [float(consistency(pool[i].text, lands)) for i in top_pool], seed),
            mean_row(PROBE, "bias_audit_pool_consistency", [float(consistency(r.text, lands)) for r in pool], seed)]
    pairs = probe_pairs(world, config.n_pairs, seed, "audit")
    documents = context.heldout_documents
    rows += measured(model, tokenizer, pairs, documents, "original", seed, config.batch_size)
    for name, data in altered(records, pool, top, random_role, top_pool, random_pool, permutation).items():
        start = time.perf_counter()
        rows += measured(retrain(context, tokenizer, data, seed), tokenizer, pairs, documents, name, seed,
                         config.batch_size)
        rows.append(point_row(PROBE, f"bias_audit_seconds_{name}", time.perf_counter() - start, len(data)))
    generations = [{"probe": PROBE, "variant": "top", "prompt": f"influence {influence[i]:.4g}",
                    "output": records[i].text, "verdict": bool(is_role[i]), "perplexity": float("nan")}
                   for i in top[:10]]
    return rows, generations
