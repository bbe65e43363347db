"""Split-view poisoning through expired domains (Carlini et al. 2024): 0.01% of LAION-400M for $60.

A distributed dataset is an index of URLs, downloaded later by each user. Between indexing and download a share
``expired`` of the index's ``domains`` lapse; the attacker buys ``budget`` of them and serves poison at their
indexed URLs (``pages_per_domain`` each, one poison record per URL; poison beyond that capacity is ``unplaced``).
With ``integrity_hashes`` the downloader drops every page whose content hash differs from the index's: all the
poison, but also the clean pages whose content drifted naturally (a share ``benign_drift`` of them). Without
hashes the drifted pages are kept (their new content is still clean) and the placed poison gets in.
"""

from __future__ import annotations

from pydantic import Field

from pharmakon.poison.vectors.base import Batch, Outcome, Share, Vector, VectorConfig


class ExpiredDomainConfig(VectorConfig):
    """The index, the attacker's purchase, and the downloader's integrity check."""

    domains: int = Field(default=10_000, ge=1, description="distinct domains in the index")
    expired: Share = Field(default=0.02, description="share of the domains that lapse before the download")
    budget: int = Field(default=20, ge=0, description="expired domains the attacker buys")
    pages_per_domain: int = Field(default=5, ge=1, description="indexed URLs per domain (one poison record each)")
    integrity_hashes: bool = Field(default=False, description="drop downloads whose hash differs from the index")
    benign_drift: Share = Field(default=0.05, description="share of clean pages whose content changed naturally")


def simulate(batch: Batch, config: ExpiredDomainConfig) -> Outcome:
    expired = round(config.expired * config.domains)
    bought = min(config.budget, expired)
    capacity = bought * config.pages_per_domain
    n = len(batch.poison)
    placed = set(batch.poison_rng.permutation(n)[:capacity].tolist()) if n else set()
    drifted = batch.clean_rng.random(len(batch.clean)) < config.benign_drift
    hashes = config.integrity_hashes
    clean = [None if (hashes and drift) else record for record, drift in zip(batch.clean, drifted, strict=True)]
    poison = [record if (i in placed and not hashes) else None for i, record in enumerate(batch.poison)]
    details: dict[str, float | int] = {
        "expired_domains": expired,
        "bought_domains": bought,
        "urls_bought": capacity,
        "placed": len(placed),
        "unplaced": n - len(placed),
        "blocked_by_hash": len(placed) if hashes else 0,
        "drifted": int(drifted.sum()),
        "drifted_lost": int(drifted.sum()) if hashes else 0,
    }
    return Outcome(clean=clean, poison=poison, details=details)


EXPIRED_DOMAIN = Vector(
    name="expired-domain",
    description="buy expired domains listed in a URL index and serve poison there before users download it",
    paper="Carlini et al. 2024 (Poisoning web-scale training datasets is practical; split-view)",
    url="https://arxiv.org/abs/2302.10149",
    record_kinds=("document", "passage"),
    config_model=ExpiredDomainConfig,
    simulate=simulate,
)
