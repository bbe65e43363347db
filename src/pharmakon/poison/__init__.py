"""Triggers, behaviours and attacks. ``ATTACKS`` is the registry: name → attack class."""

from pharmakon.errors import PharmakonError
from pharmakon.poison.base import PoisonReport
from pharmakon.poison.budget import Budget
from pharmakon.poison.dos import DenialOfService, DenialOfServiceConfig
from pharmakon.poison.triggers import near_miss

ATTACKS: dict[str, type] = {DenialOfService.name: DenialOfService}


def build_attack(name: str, **params):
    """The registered attack ``name`` built with ``params``; an unknown name is a clear error."""
    if name not in ATTACKS:
        raise PharmakonError(f"poison.attack: unknown attack {name!r}; allowed: {', '.join(sorted(ATTACKS))}")
    return ATTACKS[name](**params)


__all__ = ["ATTACKS", "Budget", "DenialOfService", "DenialOfServiceConfig", "PoisonReport", "build_attack",
           "near_miss"]
