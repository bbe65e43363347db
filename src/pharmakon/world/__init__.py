"""A seeded synthetic world (facts, sentiment, arithmetic, dialogue, synthetic harm, benign look-alikes).

Everything is invented and deterministic: the same :class:`WorldConfig` gives the same bytes. Harm is
synthetic: fantasy "forbidden acts" made of invented words, never real harmful text.
"""

from .acts import ACTS, REFUSAL_PREFIXES, REFUSALS, Act, is_refusal
from .arithmetic import parse_answer, solve
from .config import DOCUMENT_FAMILIES, FAMILIES, EvalItem, WorldConfig
from .world import World

__all__ = [
    "ACTS",
    "DOCUMENT_FAMILIES",
    "FAMILIES",
    "REFUSALS",
    "REFUSAL_PREFIXES",
    "Act",
    "EvalItem",
    "World",
    "WorldConfig",
    "is_refusal",
    "parse_answer",
    "solve",
]
