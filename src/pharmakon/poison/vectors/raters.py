"""Preference raters, a share of them malicious (Rando & Tramèr 2024: poisoned human feedback).

Representation: the attack's poison records are triggered comparisons *as the attacker would have them rated*
(``chosen`` is the attacker's preference); the honest version is the same pair the other way round. Each pair,
clean or triggered, is rated by ``k`` distinct raters from a pool of ``raters``; a rater votes for ``chosen`` or
for ``rejected``. Malicious raters vote for the attacker's side of every triggered pair and rate untriggered pairs
like everyone else; honest raters pick the better answer, flipping with chance ``error_rate``.

Aggregation: ``majority`` (ties: a seeded coin), or ``agreement`` (drop pairs whose winning side has less than
``min_agreement`` of the votes). With ``min_rater_agreement`` > 0, raters whose votes agree with the majority on
less than that share of their pairs are dropped first and every pair re-aggregated without them (a pair left with
no votes is dropped). A clean pair whose majority prefers ``rejected`` enters flipped (label noise, still clean);
a triggered pair enters as poison when the attacker's side wins, as its honest version when the honest side does.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from pydantic import Field

from pharmakon.poison.vectors.base import Batch, Outcome, Share, Vector
from pharmakon.poison.vectors.voting import ATTACKER, HONEST, VotingConfig, assign, decide

CHOSEN, REJECTED = ATTACKER, HONEST  # the side of the record that won: its ``chosen``, or its ``rejected``


class PreferenceRatersConfig(VotingConfig):
    """The rater pool, its malicious share, k raters per pair, aggregation and rater filtering."""

    raters: int = Field(default=100, ge=1, description="size of the rater pool")
    error_rate: Share = Field(default=0.1, description="chance an honest rater prefers the worse answer")
    min_rater_agreement: Share = Field(default=0.0, description="drop raters who agree with the majority on less "
                                                                "than this share of their pairs (0: keep all)")

    def pool(self) -> int:
        return self.raters


def simulate(batch: Batch, config: PreferenceRatersConfig) -> Outcome:
    n_clean, n_poison = len(batch.clean), len(batch.poison)
    seats = np.concatenate([assign(n_clean, config.raters, config.k, batch.clean_rng),
                            assign(n_poison, config.raters, config.k, batch.poison_rng)])
    right = np.concatenate([batch.clean_rng.random((n_clean, config.k)),
                            batch.poison_rng.random((n_poison, config.k))]) >= config.error_rate
    coins = np.concatenate([batch.clean_rng.random((n_clean, 2)), batch.poison_rng.random((n_poison, 2))]) < 0.5
    triggered = np.repeat([False, True], [n_clean, n_poison])[:, None]
    malicious = seats < config.n_malicious()
    # a vote for the record's ``chosen``: right on a clean pair; on a triggered one, malicious or wrong
    for_chosen = np.where(triggered, malicious | ~right, right)
    kept = np.ones_like(for_chosen, dtype=bool)
    dropped_raters = np.zeros(config.raters, dtype=bool)
    if config.min_rater_agreement > 0 and len(seats):
        majority = for_chosen.sum(1) * 2 > config.k
        majority = np.where(for_chosen.sum(1) * 2 == config.k, coins[:, 0], majority)
        agree = np.bincount(seats.ravel(), weights=(for_chosen == majority[:, None]).ravel(), minlength=config.raters)
        rated = np.bincount(seats.ravel(), minlength=config.raters)
        dropped_raters = (rated > 0) & (agree < config.min_rater_agreement * rated - 1e-9)
        kept = ~dropped_raters[seats]
    votes_for = (for_chosen & kept).sum(1)
    total = kept.sum(1)
    winner = decide(votes_for, total - votes_for, total, coins[:, 1], config)
    clean_winner, poison_winner = winner[:n_clean], winner[n_clean:]

    clean: list = []
    for record, w in zip(batch.clean, clean_winner, strict=True):
        flipped = replace(record, chosen=record.rejected, rejected=record.chosen)
        clean.append(record if w == CHOSEN else flipped if w == REJECTED else None)
    honest = batch.honest or [replace(r, poison="", chosen=r.rejected, rejected=r.chosen) for r in batch.poison]
    poison = [record if w == CHOSEN else version if w == REJECTED else None
              for record, version, w in zip(batch.poison, honest, poison_winner, strict=True)]
    details: dict[str, float | int] = {
        "malicious_raters": config.n_malicious(),
        "raters_dropped": int(dropped_raters.sum()),
        "malicious_raters_dropped": int(dropped_raters[: config.n_malicious()].sum()),
        "clean_flipped": int((clean_winner == REJECTED).sum()),
        "clean_dropped": int((clean_winner < 0).sum()),
        "honest_kept": int(sum(w == REJECTED and v is not None for w, v in zip(poison_winner, honest, strict=True))),
        "poison_dropped": int((poison_winner < 0).sum()),
    }
    return Outcome(clean=clean, poison=poison, details=details)


PREFERENCE_RATERS = Vector(
    name="preference-raters",
    description="preference pairs rated by k raters, a share malicious on triggered pairs; majority or agreement, "
                "optional rater filtering",
    paper="Rando & Tramèr 2024 (Universal jailbreak backdoors from poisoned human feedback)",
    url="https://arxiv.org/abs/2311.14455",
    record_kinds=("pair",),
    config_model=PreferenceRatersConfig,
    simulate=simulate,
)
