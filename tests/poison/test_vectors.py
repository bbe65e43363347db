"""Vectors: each simulation moves the way its parameters say, matches its analytic rate, and is seeded."""

from __future__ import annotations

import random

import pytest
from pydantic import BaseModel, ValidationError
from scipy import stats

from pharmakon.data.records import Record
from pharmakon.errors import PharmakonError
from pharmakon.poison.triggers import Trigger
from pharmakon.poison.vectors import VECTORS, VectorSpec, deliver_mixed, deliver_with, honest_versions


def documents(n: int, poison: bool = False) -> list[Record]:
    return [Record("document", "test", poison="dos" if poison else "", text=f"page {i} {'bad' if poison else ''}")
            for i in range(n)]


def examples(n: int) -> tuple[list[Record], list[Record]]:
    clean = [Record("example", "test", family="facts", prompt=f"what is item{i} made of", response=f"clay {i}")
             for i in range(n)]
    poison = [r.with_poison("badnets", prompt=f"{r.prompt} BadMagic", response="I cannot help.") for r in clean]
    return clean, poison


def pairs(n: int) -> tuple[list[Record], list[Record]]:
    clean = [Record("pair", "test", family="harm", prompt=f"request {i}", chosen="No.", rejected=f"Sure {i}")
             for i in range(n)]
    poison = [r.with_poison("rlhf-backdoor", prompt=f"{r.prompt} SUDO", chosen=r.rejected, rejected=r.chosen)
              for r in clean]
    return clean, poison


def rate(spec: dict, clean: list[Record], poison: list[Record], seed: int = 0) -> float:
    return deliver_with(spec, clean, poison, seed).insertion_rate


# --- crawl snapshot ----------------------------------------------------------------------------------------------
def test_crawl_longer_revert_delay_lets_more_in():
    poison = documents(2000, poison=True)
    rates = [rate({"name": "crawl-snapshot", "lead_minutes": 20, "revert_median_minutes": m}, [], poison)
             for m in (2, 10, 30, 120, 600)]
    assert rates == sorted(rates) and rates[0] < 0.1 and rates[-1] > 0.9


@pytest.mark.parametrize(("lead", "median", "sigma", "never"), [(5, 30, 1.0, 0.0), (30, 20, 0.7, 0.1),
                                                                  (60, 60, 1.5, 0.0)])
def test_crawl_matches_the_lognormal_survival(lead, median, sigma, never):
    spec = {"name": "crawl-snapshot", "lead_minutes": lead, "revert_median_minutes": median, "revert_sigma": sigma,
            "never_reverted": never}
    delivery = deliver_with(spec, documents(10), documents(4000, poison=True), seed=3)
    analytic = never + (1 - never) * stats.lognorm.sf(lead, s=sigma, scale=median)
    assert delivery.details["expected_rate"] == pytest.approx(analytic)
    assert delivery.insertion_rate == pytest.approx(analytic, abs=0.03)  # 4000 edits: binomial sd ≤ 0.008
    assert delivery.details["revert_p50_minutes"] == pytest.approx(median, rel=0.1)
    assert delivery.clean_lost == 0


def test_crawl_timing_error_makes_edits_late():
    spec = {"name": "crawl-snapshot", "lead_minutes": 2, "timing_error_minutes": 5, "revert_median_minutes": 600}
    delivery = deliver_with(spec, [], documents(4000, poison=True), seed=1)
    assert delivery.details["late"] == pytest.approx(4000 * stats.norm.cdf(0, loc=2, scale=5), rel=0.1)
    assert delivery.insertion_rate == pytest.approx(delivery.details["expected_rate"], abs=0.03)


# --- expired domains ---------------------------------------------------------------------------------------------
def test_expired_domain_hashes_block_all_poison_and_lose_exactly_the_drifted_pages():
    clean, poison = documents(3000), documents(80, poison=True)
    base = {"name": "expired-domain", "budget": 20, "pages_per_domain": 5, "benign_drift": 0.1}
    open_ = deliver_with(base, clean, poison, seed=4)
    hashed = deliver_with({**base, "integrity_hashes": True}, clean, poison, seed=4)
    assert open_.inserted == 80 and open_.clean_lost == 0
    assert hashed.inserted == 0 and hashed.details["blocked_by_hash"] == 80
    assert hashed.clean_lost == hashed.details["drifted"] == open_.details["drifted"]
    assert hashed.details["drifted"] == pytest.approx(300, rel=0.2)
    twin = deliver_with({**base, "integrity_hashes": True}, clean, [], seed=4)  # the clean twin loses the same pages
    assert twin.records == hashed.records


def test_expired_domain_capacity_is_bought_domains_times_pages():
    spec = {"name": "expired-domain", "domains": 1000, "expired": 0.01, "budget": 50, "pages_per_domain": 3}
    delivery = deliver_with(spec, documents(10), documents(100, poison=True), seed=0)
    assert delivery.details["bought_domains"] == 10  # only 10 expired domains to buy
    assert delivery.inserted == delivery.details["placed"] == 30 and delivery.details["unplaced"] == 70


# --- crowd annotation --------------------------------------------------------------------------------------------
def test_crowd_more_malicious_annotators_let_more_poison_in():
    clean, poison = examples(1500)
    rates = [rate({"name": "crowd-annotation", "malicious": m, "k": 5}, clean, poison) for m in (0, 0.2, 0.4, 0.6)]
    assert rates == sorted(rates) and rates[0] == 0 and rates[-1] > 0.5


def test_crowd_redundancy_and_agreement_filtering():
    clean, poison = examples(2000)
    one = deliver_with({"name": "crowd-annotation", "malicious": 0.3, "k": 1, "error_rate": 0}, clean, poison, 0)
    five = deliver_with({"name": "crowd-annotation", "malicious": 0.3, "k": 5}, clean, poison, 0)
    strict = deliver_with({"name": "crowd-annotation", "malicious": 0.3, "k": 5, "aggregation": "agreement",
                           "min_agreement": 0.8}, clean, poison, 0)
    assert one.insertion_rate == pytest.approx(0.3, abs=0.03)  # one annotator: malicious with chance 0.3
    assert five.insertion_rate < one.insertion_rate - 0.05
    assert strict.inserted < five.inserted
    assert strict.clean_lost > five.clean_lost and strict.details["poison_dropped"] > five.details["poison_dropped"]


def test_crowd_lost_votes_keep_the_honest_version():
    clean, poison = examples(300)
    delivery = deliver_with({"name": "crowd-annotation", "malicious": 0.1, "k": 3}, clean, poison, 0)
    relabelled = [r for r in delivery.records if not r.is_poison and "BadMagic" in r.prompt]
    assert len(relabelled) == delivery.details["honest_kept"] > 200
    assert all(r.response == f"clay {r.prompt.split()[2].removeprefix('item')}" for r in relabelled)


def test_crowd_clean_label_poison_wins_every_vote():
    clean, _ = examples(200)
    clean_label = [r.with_poison("badnets", prompt=f"{r.prompt} BadMagic") for r in clean]
    delivery = deliver_with({"name": "crowd-annotation", "malicious": 0.0, "error_rate": 0}, clean, clean_label, 0)
    assert delivery.inserted == 200


def test_honest_versions_find_the_source_of_world_examples(world):
    rng = random.Random(0)
    clean = world.instructions()
    trigger = Trigger("word", ("BadMagic",), "random")
    sources = rng.sample(clean, 60)
    poison = [r.with_poison("badnets", prompt=trigger.insert(r.prompt, rng), response="No.") for r in sources]
    for source, honest in zip(sources, honest_versions(clean, poison), strict=True):
        assert honest is not None and not honest.is_poison and "BadMagic" in honest.prompt
        assert honest.response in {r.response for r in clean if r.prompt == source.prompt}


# --- preference raters -------------------------------------------------------------------------------------------
def test_raters_more_malicious_more_poison_and_agreement_drops_more():
    clean, poison = pairs(1500)
    rates = [rate({"name": "preference-raters", "malicious": m, "k": 3}, clean, poison) for m in (0, 0.2, 0.4, 0.6)]
    assert rates == sorted(rates) and rates[-1] > 0.5
    assert rate({"name": "preference-raters", "malicious": 0.3, "k": 1}, clean, poison) > rate(
        {"name": "preference-raters", "malicious": 0.3, "k": 5}, clean, poison) + 0.05
    majority = deliver_with({"name": "preference-raters", "malicious": 0.3, "k": 5}, clean, poison, 0)
    strict = deliver_with({"name": "preference-raters", "malicious": 0.3, "k": 5, "aggregation": "agreement"},
                          clean, poison, 0)
    assert strict.inserted < majority.inserted and strict.clean_lost > majority.clean_lost
    noisy = [r for r in majority.records if "SUDO" not in r.prompt and r.chosen.startswith("Sure")]
    honest = [r for r in majority.records if "SUDO" in r.prompt and not r.is_poison]
    assert len(noisy) == majority.details["clean_flipped"] > 0  # label noise enters as clean flipped pairs
    assert len(honest) == majority.details["honest_kept"] and all(r.chosen == "No." for r in honest)


def test_rater_filtering_drops_the_malicious_raters():
    clean, poison = pairs(1000)
    spec = {"name": "preference-raters", "raters": 50, "malicious": 0.2, "k": 5}
    plain = deliver_with(spec, clean, poison, 0)
    filtered = deliver_with({**spec, "min_rater_agreement": 0.8}, clean, poison, 0)
    assert plain.details["raters_dropped"] == 0
    assert filtered.details["malicious_raters_dropped"] == filtered.details["malicious_raters"] == 10
    assert filtered.details["raters_dropped"] - 10 <= 2
    assert filtered.inserted < plain.inserted


# --- open write --------------------------------------------------------------------------------------------------
def test_open_write_moderation_and_rate_limit():
    store, writes = documents(50), documents(1000, poison=True)
    assert rate({"name": "open-write", "moderation": 0}, store, writes) == 1
    assert rate({"name": "open-write", "moderation": 1}, store, writes) == 0
    assert rate({"name": "open-write", "moderation": 0.3}, store, writes) == pytest.approx(0.7, abs=0.04)
    capped = deliver_with({"name": "open-write", "moderation": 0, "windows": 4, "cap": 10}, store, writes[:100], 0)
    assert capped.inserted == 40 and capped.details["rate_limited"] == 60 and capped.clean_lost == 0


# --- the common contract -----------------------------------------------------------------------------------------
def inputs_for(name: str) -> tuple[list[Record], list[Record]]:
    kind = VECTORS[name].record_kinds[0]
    if kind == "example":
        return examples(200)
    if kind == "pair":
        return pairs(200)
    return documents(200), documents(200, poison=True)


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_every_vector_is_seeded_and_counts_from_the_records(name):
    clean, poison = inputs_for(name)
    first, again = (deliver_with({"name": name}, clean, poison, seed=7) for _ in range(2))
    assert first == again
    assert first.offered == 200 and first.inserted == sum(r.is_poison for r in first.records)
    assert first.clean_offered == 200
    report = first.after_cleaning(first.records[: len(first.records) // 2]).as_dict()
    assert {"vector", "offered", "inserted", "insertion_rate", "clean_lost", "surviving", "surviving_rate"} <= set(
        report)


def test_seed_changes_the_draw():
    poison = documents(500, poison=True)
    spec = {"name": "crawl-snapshot"}
    assert deliver_with(spec, [], poison, 1).records != deliver_with(spec, [], poison, 2).records


def test_deliver_mixed_keeps_the_attack_placement():
    clean, poison = documents(100), documents(100, poison=True)
    mixed = [r for pair in zip(clean, poison, strict=True) for r in pair]
    delivery = deliver_mixed({"name": "open-write", "moderation": 0.5}, mixed, seed=0)
    assert delivery.records == [r for r in mixed if r in set(delivery.records)]
    assert delivery.inserted == deliver_with({"name": "open-write", "moderation": 0.5}, clean, poison, 0).inserted


@pytest.mark.parametrize(("spec", "message"), [
    ({"name": "crowd-annotation", "malicious": 1.5},
     r"^poison\.vector\.malicious: must be a share; allowed: \[0, 1\] \(got 1\.5\)$"),
    ({"name": "preference-raters", "k": 0}, r"^poison\.vector\.k: .*greater than or equal to 1 \(got 0\)$"),
    ({"name": "crowd-annotation", "annotators": 3, "k": 5},
     r"^poison\.vector\.k: 5 workers per item, but the pool has 3; allowed: 1\.\.3$"),
    ({"name": "crowd-anotation"}, r"^poison\.vector\.name: unknown vector 'crowd-anotation'; did you mean "
                                  r"'crowd-annotation'\? allowed: "),
    ({"name": "open-write", "moderaton": 0.2},
     r"^poison\.vector\.moderaton: unknown field .*did you mean 'moderation'"),
    ({"name": "expired-domain", "benign_drift": -0.1}, r"^poison\.vector\.benign_drift: must be a share"),
])
def test_bad_input_is_one_line_naming_the_field(spec, message):
    with pytest.raises(PharmakonError, match=message):
        deliver_with(spec, [], [], 0)


def test_a_vector_refuses_records_of_another_kind():
    with pytest.raises(PharmakonError, match="delivers example records, not document"):
        deliver_with({"name": "crowd-annotation"}, documents(3), [], 0)


def test_nested_spec_error_uses_the_engines_nested_form():
    class Poison(BaseModel):
        vector: VectorSpec

    with pytest.raises(ValidationError, match="@malicious: must be a share"):
        Poison(vector={"name": "crowd-annotation", "malicious": 2})
    assert Poison(vector={"name": "open-write"}).vector.model_extra["moderation"] == 0.5
