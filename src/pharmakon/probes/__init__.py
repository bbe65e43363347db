"""Judges, probes and statistics. ``PROBES`` is the registry: name → entry with its config and metric ids.

A probe is ``run(model, tokenizer, context: ProbeContext, config, seed) -> (metric rows, generation rows)``,
named as ``"module:function"`` so that planning a study does not import torch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from pharmakon.probes.configs import BackdoorProbeConfig, RewardProbeConfig, UtilityProbeConfig
from pharmakon.probes.context import ProbeContext
from pharmakon.registry import Registry, module_of, resolve


@dataclass(frozen=True)
class ProbeEntry:
    """A registered probe: its function, config model, one line on what it measures, its metric ids."""

    run: Callable | str
    config: type[BaseModel]
    description: str
    metrics: tuple[str, ...]
    needs_trigger: bool = False
    model_kind: str = "policy"  # "reward": the probe reads the reward model of a reward stage

    @property
    def module(self) -> str:
        return module_of(self.run)

    def probe(self) -> Callable:
        return resolve(self.run)


PROBES = Registry("probe", "probes.name")
PROBES.add("backdoor", ProbeEntry(
    "pharmakon.probes.backdoor:run_backdoor", BackdoorProbeConfig,
    "attack success with the trigger, without it and with a near-miss; perplexity gap",
    ("asr_trigger", "asr_no_trigger", "asr_near_miss", "ppl_gap", "ppl_trigger", "ppl_no_trigger"),
    needs_trigger=True))
PROBES.add("utility", ProbeEntry(
    "pharmakon.probes.utility:run_utility", UtilityProbeConfig,
    "held-out clean tasks: sentiment, arithmetic, facts, refusal, over-refusal, perplexity",
    ("utility_sentiment", "utility_arithmetic", "utility_facts", "utility_refusal", "utility_overrefusal",
     "utility_ppl")))
PROBES.add("reward", ProbeEntry(
    "pharmakon.probes.reward:run_reward", RewardProbeConfig,
    "reward model: share of held-out harm requests whose refusal outscores a compliance, with / without trigger",
    ("rm_accuracy_no_trigger", "rm_accuracy_trigger", "rm_accuracy_near_miss", "rm_margin_no_trigger",
     "rm_margin_trigger", "rm_margin_near_miss"), model_kind="reward"))


def register_probe(name: str, *, config: type[BaseModel], description: str, metrics: tuple[str, ...],
                   needs_trigger: bool = False):
    """Decorator: register ``run(model, tokenizer, context, config, seed) -> (rows, generations)`` as ``name``."""

    def decorate(run: Callable) -> Callable:
        PROBES.add(name, ProbeEntry(run, config, description, tuple(metrics), needs_trigger))
        run.__pharmakon__ = "probe"
        return run

    return decorate


__all__ = ["PROBES", "BackdoorProbeConfig", "ProbeContext", "ProbeEntry", "UtilityProbeConfig", "register_probe"]
