"""Triggers, behaviours and attacks. ``ATTACKS`` is the registry: name → attack class.

An attack class has ``name``, ``description``, ``paper``, ``url``, ``stages`` (which stages' data it poisons),
``record_kinds``, ``behaviour`` (the judge that detects it: ``gibberish``, ``refusal``, …), ``config_model``
(pydantic, with a ``budget``), and ``apply(records, tokenizer, seed[, world]) -> (records, report)``. Every
registered attack is an ``Attack``, which also tells the backdoor probe how to trigger and judge it: a plug-in
class that does not subclass it is wrapped when it registers (``register_attack``).
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
from pharmakon.poison.plugin import as_attack
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


def register_attack(cls: type) -> type[Attack]:
    """Class decorator: register an attack under its ``name`` attribute. A class that does not subclass
    ``Attack`` is wrapped into one (``poison.plugin.as_attack``) and the wrapper is what the name then binds, so
    every registered attack speaks one protocol."""
    attack = as_attack(cls)
    ATTACKS.add(attack.name, attack)
    attack.__pharmakon__ = "attack"
    return attack


def build_attack(name: str, **params):
    """The registered attack ``name`` built with ``params``; an unknown name is a clear error."""
    return ATTACKS.require(name)(**params)


__all__ = ["ATTACKS", "Attack", "Budget", "DenialOfService", "DenialOfServiceConfig", "PoisonReport", "Trigger",
           "build_attack", "near_miss", "register_attack"]
