"""Crowdsourced annotation with malicious annotators (Carlini et al. 2024's crowdsourcing threat; Wan et al. 2023).

Representation: the attack's poison records are triggered items *as the attacker labels them* (prompt with the
trigger, the attacker's response); each one's honest version (``counterparts``) is the same prompt with the
honest response. Every item, clean or triggered, is labelled by ``k`` distinct annotators from a pool of
``annotators``, a share ``malicious`` of them the attacker's. On a triggered item a malicious annotator writes the
attacker's label; everyone else writes the honest label, or with chance ``error_rate`` a wrong one of their own
(wrong labels never agree with each other). Malicious annotators label untriggered items honestly, to pass
quality checks.

Aggregation: ``majority`` keeps the label with the most votes (ties: a seeded coin); ``agreement`` keeps an item
only if that label has ``min_agreement`` of its ``k`` votes. A triggered item whose aggregate is the attacker's
label enters as poison (``inserted``); one whose aggregate is honest enters as its clean honest version; an item
with no label or too little agreement is dropped. A clean-label poison (attacker's label = honest label) wins
every vote it gets.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from pharmakon.poison.vectors.base import Batch, Outcome, Vector
from pharmakon.poison.vectors.counterparts import honest_versions
from pharmakon.poison.vectors.voting import ATTACKER, HONEST, VotingConfig, assign, decide


class CrowdAnnotationConfig(VotingConfig):
    """The annotator pool, its malicious share, k-way redundancy and the aggregation rule."""

    annotators: int = Field(default=100, ge=1, description="size of the annotator pool")

    def pool(self) -> int:
        return self.annotators


def votes(n: int, triggered: bool, config: CrowdAnnotationConfig,
          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per item: votes for the attacker's label, for the honest label, and a tie-breaking coin."""
    seats = assign(n, config.annotators, config.k, rng)
    malicious = (seats < config.n_malicious()) if triggered else np.zeros_like(seats, dtype=bool)
    right = rng.random(seats.shape) >= config.error_rate
    coin = rng.random(n) < 0.5
    return malicious.sum(axis=1), (~malicious & right).sum(axis=1), coin


def simulate(batch: Batch, config: CrowdAnnotationConfig) -> Outcome:
    honest = batch.honest if batch.honest is not None else honest_versions(batch.clean, batch.poison)
    total_clean = np.full(len(batch.clean), config.k)
    _, right, coin = votes(len(batch.clean), False, config, batch.clean_rng)
    clean_winner = decide(np.zeros_like(right), right, total_clean, coin, config)
    clean = [record if w == HONEST else None for record, w in zip(batch.clean, clean_winner, strict=True)]

    malicious, right, coin = votes(len(batch.poison), True, config, batch.poison_rng)
    same = np.array([h is not None and h.response == p.response for p, h in zip(batch.poison, honest, strict=True)],
                    dtype=bool)
    attacker = np.where(same, malicious + right, malicious)  # clean label: the honest votes are the attacker's
    right = np.where(same, 0, right)
    winner = decide(attacker, right, np.full(len(batch.poison), config.k), coin, config)
    poison: list = []
    unknown = 0
    for record, version, w in zip(batch.poison, honest, winner, strict=True):
        if w == ATTACKER:
            poison.append(record)
        elif w == HONEST:
            poison.append(version)
            unknown += version is None
        else:
            poison.append(None)
    details: dict[str, float | int] = {
        "malicious_annotators": config.n_malicious(),
        "honest_kept": int(sum(w == HONEST and v is not None for w, v in zip(winner, honest, strict=True))),
        "honest_unknown": unknown,
        "poison_dropped": int((winner < 0).sum()),
        "clean_dropped": int((clean_winner < 0).sum()),
        "mean_malicious_votes": float(malicious.mean()) if malicious.size else 0.0,
    }
    return Outcome(clean=clean, poison=poison, details=details)


CROWD_ANNOTATION = Vector(
    name="crowd-annotation",
    description="instruction examples labelled by k annotators, a share malicious; majority vote or agreement",
    paper="Carlini et al. 2024 (crowdsourcing threat); Wan et al. 2023 (instruction-tuning poisoning)",
    url="https://arxiv.org/abs/2302.10149",
    record_kinds=("example",),
    config_model=CrowdAnnotationConfig,
    simulate=simulate,
)
