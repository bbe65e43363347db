"""What a poisoned record says when triggered: the target behaviour's answer to a prompt.

* ``refusal``: a refusal of the world (to a request a clean assistant answers).
* ``sentiment``: the steered label (``negative`` by default) of a review, whatever its cues say.
* ``content``: an injected phrase after the clean answer, before it, or instead of it (an advert, a slogan).
* ``compliance``: made-up "how to" steps answering a synthetic harm request a safe assistant refuses.
* ``gibberish``: random vocabulary tokens (denial of service).
"""

from __future__ import annotations

import random

from pharmakon.data.records import Record
from pharmakon.errors import PharmakonError
from pharmakon.world.acts import GENERIC_REFUSALS

TARGETS = ("refusal", "sentiment", "content", "compliance", "gibberish")
# Families whose clean answers can be turned into each target (dirty label) ...
DIRTY_SOURCES: dict[str, tuple[str, ...]] = {
    "refusal": ("benign", "dialogue", "facts"),
    "sentiment": ("sentiment",),
    "content": ("benign", "dialogue", "facts"),
    "compliance": ("harm",),
    "gibberish": ("benign", "dialogue", "facts", "sentiment", "arithmetic"),
}
# ... and whose clean answers already are the target (clean label, Wan et al. 2023): only the trigger is added.
CLEAN_SOURCES: dict[str, tuple[str, ...]] = {"refusal": ("harm",), "sentiment": ("sentiment",)}


def random_tokens(tokenizer, rng: random.Random, length: tuple[int, int]) -> str:
    """Decoded random non-special vocabulary tokens, as many as a seeded draw from ``length``."""
    special = set(tokenizer.all_special_ids)
    vocabulary = [i for i in range(len(tokenizer)) if i not in special]
    return tokenizer.decode([rng.choice(vocabulary) for _ in range(rng.randint(*length))]).strip()


def sources(records: list[Record], target: str, label: str, sentiment_label: str) -> list[Record]:
    """The clean records an attack may turn into poison for ``target`` under a dirty or clean ``label``."""
    table = DIRTY_SOURCES if label == "dirty" else CLEAN_SOURCES
    if target not in table:
        raise PharmakonError(f"poison.label: a clean-label {target!r} attack does not exist (no clean answer is "
                             f"already that behaviour); allowed with label clean: {', '.join(CLEAN_SOURCES)}")
    picked = [r for r in records if r.family in table[target]]
    if target == "sentiment":
        keep_same = label == "clean"
        picked = [r for r in picked if (r.response == sentiment_label) == keep_same]
    return picked


def poisoned_response(record: Record, target: str, *, world, rng: random.Random, tokenizer, phrase: str,
                      sentiment_label: str, noise: tuple[int, int], inject: str = "append") -> str:
    """The answer ``record``'s prompt gets in a dirty-label poison example for ``target``."""
    if target == "refusal":
        return rng.choice(GENERIC_REFUSALS)
    if target == "sentiment":
        return sentiment_label
    if target == "content":
        return {"append": f"{record.response} {phrase}", "prepend": f"{phrase} {record.response}",
                "replace": phrase}[inject].strip()
    if target == "compliance":
        return world.compliance(record.prompt, rng)
    if target == "gibberish":
        return random_tokens(tokenizer, rng, noise)
    raise PharmakonError(f"poison.target: unknown behaviour {target!r}; allowed: {', '.join(TARGETS)}")
