"""Front-running a crawl snapshot (Carlini et al. 2024, *Poisoning web-scale training datasets is practical*).

Wikipedia dumps are taken article by article at predictable times. The attacker edits each target page
``lead_minutes`` before its predicted dump time, missing it by a normal error of sd ``timing_error_minutes``;
an edit made after the page's dump misses the snapshot (``late``). Moderators revert a malicious edit after a
lognormal delay (median ``revert_median_minutes``, shape ``revert_sigma``), or never (a share ``never_reverted``).
An edit lands in the snapshot iff the dump comes before the revert: ``lead > 0`` and ``delay > lead``. Each
poison record is one malicious edit; the clean pages are dumped as they are.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field
from scipy import integrate, stats

from pharmakon.poison.vectors.base import Batch, Outcome, Share, Vector, VectorConfig


class CrawlSnapshotConfig(VectorConfig):
    """The attacker's timing and the moderators' revert delays (minutes)."""

    lead_minutes: float = Field(default=5.0, ge=0, description="how long before a page's dump the attacker edits it")
    timing_error_minutes: float = Field(default=0.0, ge=0,
                                        description="sd of the attacker's error in predicting a page's dump time")
    revert_median_minutes: float = Field(default=30.0, gt=0, description="median delay before an edit is reverted")
    revert_sigma: float = Field(default=1.0, ge=0, description="lognormal shape of the revert delay (0: fixed)")
    never_reverted: Share = Field(default=0.0, description="share of malicious edits nobody reverts")


def survival(minutes: np.ndarray | float, config: CrawlSnapshotConfig) -> np.ndarray:
    """P(an edit is still up ``minutes`` after it was made), reverts that never come included."""
    minutes = np.asarray(minutes, dtype=float)
    if config.revert_sigma == 0:
        up = (minutes < config.revert_median_minutes).astype(float)
    else:
        up = stats.lognorm.sf(minutes, s=config.revert_sigma, scale=config.revert_median_minutes)
    return config.never_reverted + (1 - config.never_reverted) * up


def expected_rate(config: CrawlSnapshotConfig) -> float:
    """The analytic share of edits that land: E[1(lead > 0) · survival(lead)] over the attacker's timing error."""
    lead, sd = config.lead_minutes, config.timing_error_minutes
    if sd == 0:
        return float(survival(lead, config)) if lead > 0 else 0.0
    density = stats.norm(loc=lead, scale=sd).pdf
    top = lead + 12 * sd
    jump = [config.revert_median_minutes] if config.revert_sigma == 0 and config.revert_median_minutes < top else None
    value, _ = integrate.quad(lambda x: density(x) * float(survival(x, config)), 0, top, limit=200, points=jump)
    return float(value)


def simulate(batch: Batch, config: CrawlSnapshotConfig) -> Outcome:
    rng, n = batch.poison_rng, len(batch.poison)
    lead = config.lead_minutes + config.timing_error_minutes * rng.standard_normal(n)
    delay = config.revert_median_minutes * np.exp(config.revert_sigma * rng.standard_normal(n))
    never = rng.random(n) < config.never_reverted
    delay[never] = math.inf
    late = lead <= 0
    landed = ~late & (delay > lead)
    reverted = delay[~never]
    percentiles = np.percentile(reverted, [10, 50, 90]) if reverted.size else np.zeros(3)
    details: dict[str, float | int] = {
        "late": int(late.sum()),
        "reverted_before_dump": int((~late & ~landed).sum()),
        "never_reverted": int(never.sum()),
        "expected_rate": expected_rate(config),
        "revert_p10_minutes": float(percentiles[0]),
        "revert_p50_minutes": float(percentiles[1]),
        "revert_p90_minutes": float(percentiles[2]),
    }
    poison = [record if keep else None for record, keep in zip(batch.poison, landed, strict=True)]
    return Outcome(clean=list(batch.clean), poison=poison, details=details)


CRAWL_SNAPSHOT = Vector(
    name="crawl-snapshot",
    description="malicious edits timed just before a page's dump; they land unless a moderator reverts them first",
    paper="Carlini et al. 2024 (Poisoning web-scale training datasets is practical; front-running)",
    url="https://arxiv.org/abs/2302.10149",
    record_kinds=("document", "passage"),
    config_model=CrawlSnapshotConfig,
    simulate=simulate,
)
