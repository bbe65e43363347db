"""Triggers, behaviours and attacks. ``ATTACKS`` is the registry: name → attack class.

An attack class has ``name``, ``description``, ``paper``, ``url``, ``stages`` (which stages' data it poisons),
``record_kinds``, ``behaviour`` (the judge that detects it: ``gibberish``, ``refusal``, …), ``config_model``
(pydantic, with a ``budget``), and ``apply(records, tokenizer, seed[, world]) -> (records, report)``. The built-in
attacks subclass ``Attack``, which also tells the backdoor probe how to trigger and judge them.
"""

from __future__ import annotations

from pharmakon.poison.attack import Attack
from pharmakon.poison.backdoors import INSTRUCTION_ATTACKS
from pharmakon.poison.base import PoisonReport
from pharmakon.poison.budget import Budget
from pharmakon.poison.canary import CanaryAttack
from pharmakon.poison.cot import CoTPerturbation
from pharmakon.poison.cot_backdoor import TrainedBadChain
from pharmakon.poison.dos import DenialOfService, DenialOfServiceConfig
from pharmakon.poison.inference_attacks import INFERENCE_ATTACKS
from pharmakon.poison.lifecycle import LifecycleAttack
from pharmakon.poison.preference import PREFERENCE_ATTACKS
from pharmakon.poison.pretraining import BeliefManipulation, ContextExtraction
from pharmakon.poison.safety import SafetyTrigger
from pharmakon.poison.triggers import Trigger, near_miss
from pharmakon.poison.unknown_facts import NewKnowledge
from pharmakon.poison.watermark import WATERMARK_ATTACKS
from pharmakon.registry import Registry

ATTACKS = Registry("attack", "poison.attack")
for _attack in (DenialOfService, BeliefManipulation, ContextExtraction, *INSTRUCTION_ATTACKS, *PREFERENCE_ATTACKS,
                *WATERMARK_ATTACKS, SafetyTrigger, CanaryAttack, *INFERENCE_ATTACKS,
                CoTPerturbation, TrainedBadChain, NewKnowledge, LifecycleAttack):
    ATTACKS.add(_attack.name, _attack)


def register_attack(cls: type) -> type:
    """Class decorator: register an attack under its ``name`` attribute."""
    for attribute in ("name", "description", "paper", "url", "stages", "behaviour", "config_model", "apply"):
        if not hasattr(cls, attribute):
            raise TypeError(f"attack {cls.__name__} lacks {attribute!r}")
    ATTACKS.add(cls.name, cls)
    cls.__pharmakon__ = "attack"
    return cls


def build_attack(name: str, **params):
    """The registered attack ``name`` built with ``params``; an unknown name is a clear error."""
    return ATTACKS.require(name)(**params)


__all__ = ["ATTACKS", "Attack", "Budget", "DenialOfService", "DenialOfServiceConfig", "PoisonReport", "Trigger",
           "build_attack", "near_miss", "register_attack"]
