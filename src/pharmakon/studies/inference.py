"""The ``inference`` study's finding in words: a trained backdoor under each adaptation, and the inference-time
attacks by the number of poisoned items (retrieval success and attack success, poisoned vs the clean twin)."""

from __future__ import annotations

import re

import pandas as pd

from pharmakon.studies.collection import mean_where
from pharmakon.studies.findings import _fmt

ATTACKS = ("badchain", "poisoned-rag", "agent-poison")


TRAINED = {"sft-backdoor": "SFT BadNets backdoor", "badchain-trained": "BadChain learnt in SFT"}


def _trained(results: pd.DataFrame, arm: str) -> str:
    """asr_trigger of a trained backdoor under each adaptation, poisoned vs clean twin (and without the trigger)."""
    frame = results[(results["arm"] == arm) & (results["probe"] == "backdoor")]
    parts = [f"{adaptation} {_fmt(mean_where(group, metric='asr_trigger', condition='poisoned'))} "
             f"(without the trigger {_fmt(mean_where(group, metric='asr_no_trigger', condition='poisoned'))}, "
             f"clean twin {_fmt(mean_where(group, metric='asr_trigger', condition='clean'))})"
             for adaptation, group in frame.groupby("adaptation", sort=False)]
    return f"{TRAINED[arm]}, asr_trigger by adaptation: " + ", ".join(parts) if parts else ""


def _scaling(results: pd.DataFrame, attack: str) -> str:
    """Per number of poisoned items: retrieval success and asr with the trigger, poisoned vs clean twin."""
    parts = []
    for arm, frame in results[results["probe"] == attack].groupby("arm", sort=False):
        count = re.search(r"(\d+)$", str(arm))
        retrieval = mean_where(frame, metric="retrieval_trigger", condition="poisoned")
        asr = mean_where(frame, metric="asr_trigger", condition="poisoned")
        clean = mean_where(frame, metric="asr_trigger", condition="clean")
        parts.append(f"{count.group(1) if count else arm}: retrieval {_fmt(retrieval)}, asr {_fmt(asr)} "
                     f"(clean twin {_fmt(clean)})")
    return f"{attack} by poisoned items — " + "; ".join(parts) if parts else ""


def finding(results: pd.DataFrame, spec: dict) -> str:
    """A trained backdoor under each adaptation, then each inference-time attack by the number of poisoned items
    (retrieval success and attack success against the clean twin)."""
    if "arm" not in results:
        return ""
    lines = [*(_trained(results, arm) for arm in TRAINED), *(_scaling(results, attack) for attack in ATTACKS)]
    return "Means over seeds. " + ". ".join(line for line in lines if line) + "."
