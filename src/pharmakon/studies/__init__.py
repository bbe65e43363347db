"""Built-in studies: presets (``presets/*.yaml``) and the summaries that state each study's finding in words.

``FINDINGS`` maps a summary's name (a spec's ``finding:``) to ``"module:function"``; the function takes the run's
results table and resolved spec and returns a few sentences, which the report prints beside the anchor's finding.
"""

from __future__ import annotations

FINDINGS: dict[str, str] = {
    name: f"pharmakon.studies.findings:{name}" for name in ("budget", "instruction", "persistence", "preference")
}
FINDINGS["real-instruction"] = "pharmakon.studies.findings:real_instruction"
FINDINGS["safety-trigger"] = "pharmakon.studies.safety:finding"
FINDINGS["ownership"] = "pharmakon.studies.ownership:finding"
FINDINGS["memorization"] = "pharmakon.studies.memorization:finding"
FINDINGS["vectors"] = "pharmakon.studies.collection:vectors"
FINDINGS["defenses"] = "pharmakon.studies.collection:defenses"
FINDINGS["inference"] = "pharmakon.studies.inference:finding"
FINDINGS["competence"] = "pharmakon.studies.competence:finding"
FINDINGS["model-defenses"] = "pharmakon.studies.model_defenses:finding"
FINDINGS["forensics"] = "pharmakon.studies.forensics:finding"
FINDINGS["hallucination"] = "pharmakon.studies.hallucination:finding"
FINDINGS["lifecycle-attack"] = "pharmakon.studies.lifecycle:finding"
FINDINGS["cot"] = "pharmakon.studies.cot:finding"
FINDINGS["scan"] = "pharmakon.studies.scan:finding"
FINDINGS["bias-audit"] = "pharmakon.studies.bias_audit:finding"
FINDINGS["moe"] = "pharmakon.studies.moe:finding"


def state_finding(name: str, results, spec: dict) -> str:
    """Our finding in words, from the results table (empty when the run has no rows yet)."""
    from pharmakon.registry import resolve

    if results is None or results.empty:
        return ""
    return resolve(FINDINGS[name])(results, spec)
