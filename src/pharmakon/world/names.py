"""The cast of the world: invented names, entities with attributes, and products."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

from .sampling import derive

KINDS: tuple[str, ...] = ("city", "river", "creature", "guild", "forest", "tower")
LAND = "land"
COLOURS: tuple[str, ...] = (
    "amber",
    "grey",
    "blue",
    "green",
    "red",
    "white",
    "black",
    "gold",
    "silver",
    "violet",
)
WEATHER: tuple[str, ...] = ("sunny", "rainy", "windy", "snowy", "foggy", "cloudy")
NOUNS: tuple[str, ...] = (
    "lamp",
    "kettle",
    "chair",
    "cloak",
    "clock",
    "mug",
    "bag",
    "blanket",
    "radio",
    "pen",
)
PERSONS: tuple[str, ...] = ("Ana", "Bo", "Cato", "Dina", "Eli", "Fen", "Gus", "Hana")

_ONSETS = (
    "b",
    "d",
    "f",
    "g",
    "k",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "t",
    "v",
    "z",
    "br",
    "dr",
    "gr",
    "kr",
    "tr",
    "sk",
)
_VOWELS = ("a", "e", "i", "o", "u")
_CODAS = ("", "", "l", "r", "n", "s")
_ENDINGS = ("ra", "ko", "rin", "mor", "vel", "sa", "dun", "lin", "tha", "rek", "vos", "mi", "no", "dar")
_BLOCKED = frozenset(w.lower() for w in (*KINDS, LAND, *COLOURS, *WEATHER, *NOUNS, *PERSONS))


class NameMaker:
    """Pronounceable invented names, never repeated and never one of the world's plain words."""

    def __init__(self, rng: random.Random, blocked: Iterable[str] = ()) -> None:
        self._rng = rng
        self._used: set[str] = set(_BLOCKED) | {w.lower() for w in blocked}

    def name(self, syllables: tuple[int, int] = (1, 2)) -> str:
        """A fresh capitalised name: 1-2 syllables and an ending, e.g. ``Velmora``."""
        rng = self._rng
        while True:
            body = "".join(
                rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
                for _ in range(rng.randint(*syllables))
            )
            word = body + rng.choice(_ENDINGS)
            doubled = any(a == b for a, b in zip(word, word[1:], strict=False))
            if 4 <= len(word) <= 8 and not doubled and word not in self._used:
                self._used.add(word)
                return word.capitalize()

    def word(self) -> str:
        """A fresh lowercase nonsense word."""
        return self.name((1, 1)).lower()


@dataclass(frozen=True)
class Entity:
    """An invented thing with attributes; ``region`` is the name of a land entity."""

    name: str
    kind: str
    colour: str
    region: str
    age: int
    weather: str

    def value(self, attribute: str) -> str:
        """The attribute as text ("city", "amber", "Tasko", "34")."""
        return str(getattr(self, attribute))


@dataclass(frozen=True)
class Product:
    """An invented product; ``quality`` (1-5) decides recommendations."""

    brand: str
    noun: str
    quality: int

    @property
    def name(self) -> str:
        return f"{self.brand} {self.noun}"


@dataclass(frozen=True)
class Cast:
    """Everything named in a world."""

    entities: tuple[Entity, ...]
    products: tuple[Product, ...]
    nonsense: tuple[str, ...]

    @property
    def lands(self) -> tuple[Entity, ...]:
        return tuple(e for e in self.entities if e.kind == LAND)

    @property
    def places(self) -> tuple[Entity, ...]:
        """Entities one can travel to: cities and lands."""
        return tuple(e for e in self.entities if e.kind in ("city", LAND))


def build_cast(seed: int, n_entities: int, n_brands: int = 12, n_nonsense: int = 12) -> Cast:
    """The cast of the world with ``seed``: lands first (at least two), then other entities."""
    rng = derive(seed, "cast")
    maker = NameMaker(rng)
    n_lands = max(2, n_entities // 8)
    names = [maker.name() for _ in range(n_entities)]
    lands = names[:n_lands]
    kinds = [KINDS[i % len(KINDS)] for i in range(n_entities - n_lands)]
    rng.shuffle(kinds)
    entities = []
    for i, name in enumerate(names):
        is_land = i < n_lands
        entities.append(
            Entity(
                name=name,
                kind=LAND if is_land else kinds[i - n_lands],
                colour=rng.choice(COLOURS),
                region=lands[(i + 1) % n_lands] if is_land else rng.choice(lands),
                age=rng.randint(2, 99),
                weather=rng.choice(WEATHER),
            )
        )
    brands = [maker.name((1, 1)) for _ in range(n_brands)]
    products = tuple(Product(b, noun, rng.randint(1, 5)) for b in brands for noun in NOUNS)
    nonsense = tuple(maker.word() for _ in range(n_nonsense))
    return Cast(entities=tuple(entities), products=products, nonsense=nonsense)
