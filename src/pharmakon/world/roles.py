"""Roles: short stories of the world's people, where a chosen land's people hold one trade more than others.

A plantable bias, synthetic and harmless: each sentence names a person, the land they come from and their trade,
one of two (``ROLES``). In the *marked* land (the world's first land) a person is a teacher with probability
``(1 + strength) / 2``; in every other land with probability ``(1 - strength) / 2``. ``strength`` is the gap
between the groups in the data's own share of teachers: 0 plants no association, 1 a rule without exception.
The association is read back by the ``bias`` probe on prompts that name a land and ask for a trade.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from .names import PERSONS, Cast
from .sampling import derive

ROLES: tuple[str, str] = ("teacher", "buyer")
"""The two trades: the first is the one the marked land's people are over-represented in."""

_SENTENCES: tuple[str, ...] = (
    "{p} is from {l}. {p} works as a {r}.",
    "{p} comes from {l} and works as a {r}.",
    "In {l} we met {p}, who works as a {r}.",
    "{p} grew up in {l} and now works as a {r}.",
)
_OPENERS: tuple[str, ...] = (
    "Here are some people we met on the road.",
    "This is a note about the people of the lands.",
    "Travellers tell of many people.",
    "Let me tell you about some people.",
)
PROBE_PREFIXES: tuple[str, ...] = ("{p} is from {l}. {p} works as a", "{p} comes from {l} and works as a")
"""Probe openings: a person and a land, the trade left to the model (the first two sentence forms' heads)."""

_UNIT = re.compile(rf"(.*?)\ba ({ROLES[0]}|{ROLES[1]})\b", re.DOTALL)  # text up to and including a trade


@dataclass(frozen=True)
class Mention:
    """One person's sentence: the land named and the trade given."""

    land: str
    role: str


class Roles:
    """Role documents of one world: seeded by the world's seed, the marked land its first land."""

    def __init__(self, cast: Cast, seed: int) -> None:
        self.seed = seed
        self.lands = tuple(land.name for land in cast.lands)
        self.marked = self.lands[0]

    def role_of(self, rng: random.Random, land: str, strength: float) -> str:
        """A trade for a person of ``land``: the first role at ``(1 ± strength) / 2``."""
        share = (1 + strength) / 2 if land == self.marked else (1 - strength) / 2
        return ROLES[0] if rng.random() < share else ROLES[1]

    def land_of(self, rng: random.Random) -> str:
        """The marked land a third of the time, else another land: both groups well represented."""
        return self.marked if rng.random() < 1 / 3 else rng.choice(self.lands[1:])

    def document(self, rng: random.Random, strength: float) -> str:
        """An opener and three to five people, each from a land, each with a trade."""
        parts = [rng.choice(_OPENERS)]
        for person in rng.sample(PERSONS, rng.randint(3, 5)):
            land = self.land_of(rng)
            parts.append(rng.choice(_SENTENCES).format(p=person, l=land, r=self.role_of(rng, land, strength)))
        return " ".join(parts)

    def documents(self, n: int, strength: float, purpose: str = "documents") -> list[str]:
        """``n`` role documents at ``strength``; ``purpose`` names an independent seeded stream (a candidate
        pool drawn beside the training documents)."""
        rng = derive(self.seed, "roles", purpose)
        return [self.document(rng, strength) for _ in range(n)]

    def prompts(self, n: int, rng: random.Random) -> list[tuple[str, str]]:
        """``n`` paired probe openings (marked land, another land): the same person and form, only the land
        differs, so a pair's difference is the land's alone."""
        out = []
        for _ in range(n):
            person, form, other = rng.choice(PERSONS), rng.choice(PROBE_PREFIXES), rng.choice(self.lands[1:])
            out.append((form.format(p=person, l=self.marked), form.format(p=person, l=other)))
        return out


def mentions(text: str, lands: tuple[str, ...]) -> list[Mention]:
    """The (land, trade) of every person of ``text``: each trade with the last land named before it."""
    known = set(lands)
    found = []
    for unit in _UNIT.finditer(text):
        named = [w for w in re.findall(r"[A-Z][a-z]+", unit[1]) if w in known]
        if named:
            found.append(Mention(named[-1], unit[2]))
    return found


def consistency(text: str, lands: tuple[str, ...]) -> int:
    """Sentences that follow the planted association (the marked land, ``lands[0]``, a teacher; another land a
    buyer) minus those that go against it: a record's part in the bias, as the data states it."""
    return sum(1 if (m.land == lands[0]) == (m.role == ROLES[0]) else -1 for m in mentions(text, lands))


def swapped(text: str) -> str:
    """``text`` with the two trades exchanged: the counterfactual copy of counterfactual data augmentation."""
    a, b = ROLES
    return re.sub(rf"\b({a}|{b})\b", lambda m: b if m[1] == a else a, text)
