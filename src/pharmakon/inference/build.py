"""The adapter of a probe node's adaptation, as its registry entry names it (plain, ICL/CoT, RAG, an agent, or a
plug-in's)."""

from __future__ import annotations

from pharmakon.inference.adaptations import ADAPTATIONS, parse_adaptation
from pharmakon.inference.adapter import Adapter
from pharmakon.registry import resolve


def build_adapter(config: str | dict, world, seed: int = 0, poisoned: bool = False) -> Adapter:
    """The adapter of a probe node's ``adaptation`` config. Its attack (if any) is built in both conditions, so
    the clean twin is measured on the same prompts; only ``poisoned`` plants it."""
    spec = parse_adaptation(config if isinstance(config, str) else dict(config))
    attack = spec.poison.build() if spec.poison is not None else None
    return resolve(ADAPTATIONS[spec.name].adapter)(spec, world, seed, attack, attack if poisoned else None)
