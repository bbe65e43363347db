"""The adapter of a probe node's adaptation: the plain one, or ICL/CoT demonstrations, RAG or an agent."""

from __future__ import annotations

from pharmakon.inference.adaptations import parse_adaptation
from pharmakon.inference.adapter import Adapter
from pharmakon.inference.agent import AgentAdapter
from pharmakon.inference.icl import DemonstrationAdapter
from pharmakon.inference.rag import RAGAdapter


def build_adapter(config: str | dict, world, seed: int = 0, poisoned: bool = False) -> Adapter:
    """The adapter of a probe node's ``adaptation`` config. Its attack (if any) is built in both conditions, so
    the clean twin is measured on the same prompts; only ``poisoned`` plants it."""
    spec = parse_adaptation(config if isinstance(config, str) else {k: v for k, v in config.items()})
    attack = spec.poison.build() if spec.poison is not None else None
    planted = attack if poisoned else None
    if spec.name == "plain":
        return Adapter(spec, world, seed, attack)
    if spec.name in ("icl", "cot"):
        return DemonstrationAdapter(spec, world, seed, attack, planted)
    if spec.name == "rag":
        return RAGAdapter(spec, world, seed, attack, planted)
    return AgentAdapter(spec, world, seed, attack, planted)
