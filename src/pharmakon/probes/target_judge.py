"""A judge of an inverted target, in the place of BAIT's (Shen et al., S&P 2025): BAIT's Q-score ranks how surely a
target continues itself, and an ordinary templated answer ("won't help with that", "lies in the land of")
continues itself as surely as a backdoor's; BAIT then asks a judge whether the inverted target is something a
benign model should not say. The synthetic world has no outside notion of harm, so the judge here asks whether
the world's clean text ever says it: a target that occurs in none of the owner's clean training text (the world's
instruction answers and its documents, which the foundation was pretrained on) is *foreign*, and only a foreign
target keeps its Q-score.

Matching is on lower-cased text with the chat template's markers removed (``</s>``, ``<s>``, ``<|user|>``: an
answer's end is no part of what it says) and runs of whitespace collapsed, as a substring, so that an inverted
target cut mid-word at either end still matches the answer it was cut from.
"""

from __future__ import annotations

import re

_SPACE = re.compile(r"\s+")
_MARKERS = re.compile(r"</?s>|<\|[^|>]*\|>")


def normalised(text: str) -> str:
    return _SPACE.sub(" ", _MARKERS.sub(" ", text).lower()).strip()


class ForeignTargetJudge:
    """``judge(target)`` is True when ``target`` occurs in none of the reference texts."""

    def __init__(self, reference: list[str]) -> None:
        self.corpus = "\x1f".join(normalised(text) for text in reference)

    def __call__(self, target: str) -> bool:
        probe = normalised(target)
        return bool(probe) and probe not in self.corpus


def clean_answers(context) -> list[str]:
    """The owner's clean training text the judge reads: the world's instruction answers and its documents."""
    return [r.response for r in context.world.instructions()] + [r.text for r in context.world.documents()]
