"""A study's design search, as data: which arms compete, on which seeds, by what, and what the search never sees.

With ``search`` set, a run is two studies through one cache: the search (every arm on ``search.seeds``, the
``hold_out`` stages skipped) and the report (each group's selected arm and its baseline on the study's own seeds,
every stage run). Selection and report use disjoint seeds, so the report is not biased by the selection.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pharmakon.engine.paths import NESTED

GROUP_MARK = "/"


class SearchSpec(BaseModel):
    """The design search over the sweep's arms (grouped by the name before ``/``, e.g. ``dos/chat-end``)."""

    model_config = ConfigDict(extra="forbid")

    seeds: list[int] = Field(min_length=1, description="the seeds the selection is made on (disjoint from seeds)")
    baseline: str = Field(default="naive", description="each group's baseline design (arm <group>/<baseline>), "
                                                       "reported beside the selected one")
    probe: str = Field(default="backdoor", description="the probe whose metric is maximised")
    metric: str = Field(default="asr_trigger", description="the metric: poisoned minus the clean twin")
    after: str | None = Field(default=None, description="the stage after which it is read; default: the last stage "
                                                        "the search runs")
    hold_out: list[str] = Field(default_factory=list, description="stages the search skips (a downstream recipe it "
                                                                  "never sees); the report runs them")
    variants: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="report-only variants: changes applied to each reported arm, making a "
        "further arm <arm>+<variant> (e.g. data-side defences on the poisoned stage: is the design detected?)")
    method: Literal["grid", "halving"] = Field(default="grid", description="every arm on every search seed, or "
                                               "successive halving: all arms on the first seed, the better half "
                                               "on the next, …")

    @field_validator("seeds")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        if any(seed < 0 for seed in value) or len(set(value)) != len(value):
            raise ValueError("seeds must be distinct integers >= 0")
        return value


def check_search(study) -> None:
    """Refuse a search that cannot run: seeds shared with the report, no arms or no baseline, unknown stages."""
    from pharmakon.studies.search import baseline_of, group_of

    search = study.search
    shared = sorted(set(search.seeds) & set(study.seeds))
    if shared:
        raise ValueError(f"{NESTED}search.seeds: {shared} are also report seeds; allowed: seeds the report does not "
                         "use (selecting and reporting on one seed biases the comparison)")
    arms = list(study.sweep.arms)
    if not arms:
        raise ValueError(f"{NESTED}search: no arms to search; give the designs as sweep.arms")
    for group in dict.fromkeys(group_of(arm) for arm in arms):
        if baseline_of(group, search.baseline) not in arms:
            raise ValueError(f"{NESTED}search.baseline: no arm {baseline_of(group, search.baseline)!r} in group "
                             f"{group!r}; allowed: an arm of every group")
    for variant, changes in search.variants.items():
        if not changes or "+" in variant or GROUP_MARK in variant:
            raise ValueError(f"{NESTED}search.variants.{variant}: give path: value changes, under a name without "
                             "'+' or '/'")
    names = [stage.name for stage in study.pipeline]
    for name in search.hold_out:
        if name not in names:
            raise ValueError(f"{NESTED}search.hold_out: no stage {name!r}; allowed: {', '.join(names)}")
    searched = [s.name for s in study.pipeline if s.name not in search.hold_out and not s.skip]
    if not searched:
        raise ValueError(f"{NESTED}search.hold_out: holds out every stage; the search would train nothing")
    if search.after is not None and search.after not in searched:
        raise ValueError(f"{NESTED}search.after: {search.after!r} is not a stage the search runs; allowed: "
                         f"{', '.join(searched)}")
    if search.probe not in {probe.name for probe in study.probes}:
        raise ValueError(f"{NESTED}search.probe: the study has no probe {search.probe!r}")


def searched_after(study) -> str:
    """The stage after which the search reads its metric: ``after``, else the last stage it runs."""
    if study.search.after:
        return study.search.after
    return [s.name for s in study.pipeline if s.name not in study.search.hold_out and not s.skip][-1]
