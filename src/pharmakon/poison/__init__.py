"""Triggers, behaviours and attacks. ``ATTACKS`` is the registry: name → attack class.

An attack class has ``name``, ``description``, ``paper``, ``url``, ``stages`` (which stages' data it poisons),
``record_kinds``, ``behaviour`` (the judge that detects it: ``gibberish``, ``refusal``, …), ``config_model``
(pydantic, with a ``trigger`` and a ``budget``), and ``apply(records, tokenizer, seed) -> (records, report)``.
"""

from __future__ import annotations

from pharmakon.poison.base import PoisonReport
from pharmakon.poison.budget import Budget
from pharmakon.poison.dos import DenialOfService, DenialOfServiceConfig
from pharmakon.poison.triggers import near_miss
from pharmakon.registry import Registry

ATTACKS = Registry("attack", "poison.attack")
ATTACKS.add(DenialOfService.name, DenialOfService)


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


__all__ = ["ATTACKS", "Budget", "DenialOfService", "DenialOfServiceConfig", "PoisonReport", "build_attack",
           "near_miss", "register_attack"]
