"""Judges, probes and statistics. ``PROBES`` is the registry: name → one line and its metric ids."""

from pharmakon.errors import PharmakonError
from pharmakon.probes.backdoor import BackdoorProbeConfig, backdoor_probe
from pharmakon.probes.judges import GibberishJudge, RefusalJudge
from pharmakon.probes.utility import UtilityProbeConfig, utility_probe

PROBES: dict[str, dict] = {
    "backdoor": {
        "run": backdoor_probe,
        "config": BackdoorProbeConfig,
        "description": "attack success with the trigger, without it and with a near-miss; perplexity gap",
        "metrics": ("asr_trigger", "asr_no_trigger", "asr_near_miss", "ppl_gap", "ppl_trigger", "ppl_no_trigger"),
    },
    "utility": {
        "run": utility_probe,
        "config": UtilityProbeConfig,
        "description": "held-out clean tasks: sentiment, arithmetic, facts, refusal, over-refusal, perplexity",
        "metrics": ("utility_sentiment", "utility_arithmetic", "utility_facts", "utility_refusal",
                    "utility_overrefusal", "utility_ppl"),
    },
}


def require_probe(name: str) -> dict:
    if name not in PROBES:
        raise PharmakonError(f"probes: unknown probe {name!r}; allowed: {', '.join(sorted(PROBES))}")
    return PROBES[name]


__all__ = ["PROBES", "BackdoorProbeConfig", "GibberishJudge", "RefusalJudge", "UtilityProbeConfig",
           "backdoor_probe", "require_probe", "utility_probe"]
