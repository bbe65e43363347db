"""Built-in studies: presets (``presets/*.yaml``) and the summaries that state each study's finding in words.

``FINDINGS`` (a ``Registry``, like every other group) maps a summary's name (a spec's ``finding:``) to
``"module:function"``; the function takes the run's results table and resolved spec and returns a few sentences,
which the report prints beside the anchor's finding.
"""

from __future__ import annotations

from pharmakon.registry import Registry

FINDINGS = Registry("study summary", "finding")
for _name in ("budget", "instruction", "persistence", "preference"):
    FINDINGS.add(_name, f"pharmakon.studies.findings:{_name}")
for _name, _target in {
    "real-instruction": "pharmakon.studies.findings:real_instruction",
    "safety-trigger": "pharmakon.studies.safety:finding",
    "ownership": "pharmakon.studies.ownership:finding",
    "memorization": "pharmakon.studies.memorization:finding",
    "vectors": "pharmakon.studies.collection:vectors",
    "defenses": "pharmakon.studies.collection:defenses",
    "inference": "pharmakon.studies.inference:finding",
    "competence": "pharmakon.studies.competence:finding",
    "model-defenses": "pharmakon.studies.model_defenses:finding",
    "forensics": "pharmakon.studies.forensics:finding",
    "hallucination": "pharmakon.studies.hallucination:finding",
    "lifecycle-attack": "pharmakon.studies.lifecycle:finding",
    "cot": "pharmakon.studies.cot:finding",
    "scan": "pharmakon.studies.scan:finding",
    "bias-audit": "pharmakon.studies.bias_audit:finding",
    "moe": "pharmakon.studies.moe:finding",
}.items():
    FINDINGS.add(_name, _target)


def state_finding(name: str, results, spec: dict) -> str:
    """Our finding in words, from the results table (empty when the run has no rows yet)."""
    from pharmakon.registry import resolve

    if results is None or results.empty:
        return ""
    return resolve(FINDINGS.require(name))(results, spec)
