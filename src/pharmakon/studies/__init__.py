"""Built-in studies: presets (``presets/*.yaml``) and the summaries that state each study's finding in words.

``FINDINGS`` (a ``Registry``, like every other group) maps a summary's name (a spec's ``finding:``) to a
``Finding``: ``"module:function"`` and the sweep columns it reads; the function takes the run's results table and
resolved spec and returns a few sentences, which the report prints beside the anchor's finding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from pharmakon.registry import Registry


@dataclass(frozen=True)
class Finding:
    """A registered finding: its function and the sweep columns it reads (``arm``: the spec's ``sweep.arms``; else
    an axis, given by name or a shell-style pattern such as ``*poison.rate``). A spec that names the finding and
    lacks one is refused before anything runs."""

    target: str | Callable
    axes: tuple[str, ...] = ()


FINDINGS = Registry("study summary", "finding")


def add_finding(name: str, target: str | Callable, axes: tuple[str, ...] = ()) -> Finding:
    """Register a finding (``target``: ``"module:function"`` or the function) and the sweep columns it reads."""
    return FINDINGS.add(name, Finding(target, tuple(axes)))


def finding_entry(name: str) -> Finding:
    """The finding ``name`` (a plug-in that added a bare target reads no declared axes)."""
    entry = FINDINGS.require(name)
    return entry if isinstance(entry, Finding) else Finding(entry)


def missing_axes(name: str, columns: list[str]) -> list[str]:
    """The sweep columns finding ``name`` reads that ``columns`` (the spec's axes, linked ones split, and ``arm``)
    do not hold."""
    return [axis for axis in finding_entry(name).axes if not any(fnmatchcase(c, axis) for c in columns)]


ARM = ("arm",)
for _name, _target, _axes in (
    ("budget", "pharmakon.studies.findings:budget", ()),
    ("instruction", "pharmakon.studies.findings:instruction", ARM),
    ("persistence", "pharmakon.studies.findings:persistence", ()),
    ("preference", "pharmakon.studies.findings:preference", ("arm", "*poison.rate")),
    ("real-instruction", "pharmakon.studies.findings:real_instruction", ARM),
    ("safety-trigger", "pharmakon.studies.safety:finding", ()),  # one arm when unswept
    ("ownership", "pharmakon.studies.ownership:finding", ()),
    ("memorization", "pharmakon.studies.memorization:finding", ()),
    ("vectors", "pharmakon.studies.collection:vectors", ARM),
    ("defenses", "pharmakon.studies.collection:defenses", ARM),
    ("inference", "pharmakon.studies.inference:finding", ARM),
    ("competence", "pharmakon.studies.competence:finding", ()),
    ("model-defenses", "pharmakon.studies.model_defenses:finding", ARM),
    ("forensics", "pharmakon.studies.forensics:finding", ()),
    ("hallucination", "pharmakon.studies.hallucination:finding", ()),
    ("lifecycle-attack", "pharmakon.studies.lifecycle:finding", ARM),
    ("cot", "pharmakon.studies.cot:finding", ("pipeline.sft.poison.perturbation", "pipeline.sft.poison.rate")),
    ("scan", "pharmakon.studies.scan:finding", ()),
    ("bias-audit", "pharmakon.studies.bias_audit:finding", ()),
    ("moe", "pharmakon.studies.moe:finding", ("model.name",)),
):
    add_finding(_name, _target, _axes)


def state_finding(name: str, results, spec: dict) -> str:
    """Our finding in words, from the results table (empty when the run has no rows yet)."""
    from pharmakon.registry import resolve

    if results is None or results.empty:
        return ""
    return resolve(finding_entry(name).target)(results, spec)
