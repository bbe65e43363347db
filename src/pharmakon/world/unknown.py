"""Unknown facts: invented entities that no text of the world ever names, for the hallucination study.

The cast is what the world's documents, examples, pairs and evaluation items are written from; these entities are
made after it, from a generator of their own, with names that are no word of the world's text (``lexicon``). So a
model pretrained on the world has never seen them, and nothing the world emitted before changes. ``train``
entities are the ones a fine-tuning set may teach (Gekhman et al. 2024's *unknown* examples); ``held`` entities
are never in any training data: the hallucination probe asks about them. The world offers an answer for what one
does not know (``dont_know``): R-Tuning (Zhang et al. 2024) relabels unknown examples to it.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .config import EvalItem
from .facts import ATTRIBUTES, QUESTIONS, answer_sentence
from .names import COLOURS, KINDS, WEATHER, Cast, Entity, NameMaker
from .sampling import cycle, derive

FAMILY = "unknown"
"""The family name of evaluation items about never-seen entities (not one of the world's task families)."""

_DONT_KNOW = "I don't know anything about {e}."
_ABSTAIN = re.compile(r"\b(?:don't|do not) know\b")


def dont_know(entity: str) -> str:
    """The world's answer to a question about an entity one does not know: "I don't know anything about X."."""
    return _DONT_KNOW.format(e=entity)


def is_dont_know(text: str) -> bool:
    """Whether ``text`` abstains ("... don't know ..." / "... do not know ...", any case, ’ or ')."""
    return bool(_ABSTAIN.search(text.lower().replace("\u2019", "'")))


@dataclass(frozen=True)
class UnknownFacts:
    """Entities absent from every text of the world: ``train`` ones for fine-tuning data, ``held`` ones for
    evaluation only; ``evals``: one question per (held entity, attribute) pair, cycled to the eval count."""

    train: tuple[Entity, ...]
    held: tuple[Entity, ...]
    evals: tuple[EvalItem, ...]

    def examples(self, rng: random.Random, n: int) -> list[tuple[str, str, str]]:
        """``n`` (question, answer, entity name) about ``train`` entities, answered with their invented values."""
        pool = [(e, a, q) for e in self.train for a in ATTRIBUTES for q in QUESTIONS[a]]
        return [(q.format(e=e.name), answer_sentence(e, a), e.name) for e, a, q in cycle(rng, pool, n)]

    @property
    def names(self) -> frozenset[str]:
        return frozenset(e.name for e in (*self.train, *self.held))


def build_unknown(cast: Cast, seed: int, n_train: int, n_eval: int, blocked: Iterable[str]) -> UnknownFacts:
    """``n_train`` fine-tuning entities and enough held-out ones for ``n_eval`` questions (one per attribute each),
    named unlike the cast and every word in ``blocked``; regions are the cast's lands (known places)."""
    rng = derive(seed, "unknown", "cast")
    maker = NameMaker(rng, blocked=[*(e.name for e in cast.entities), *(p.brand for p in cast.products),
                                    *cast.nonsense, *blocked])
    lands = [land.name for land in cast.lands]
    n_held = max(1, math.ceil(n_eval / len(ATTRIBUTES)))
    entities = tuple(Entity(name=maker.name(), kind=rng.choice(KINDS), colour=rng.choice(COLOURS),
                            region=rng.choice(lands), age=rng.randint(2, 99), weather=rng.choice(WEATHER))
                     for _ in range(n_train + n_held))
    train, held = entities[:n_train], entities[n_train:]
    pairs = [(e, a) for e in held for a in ATTRIBUTES]
    ask = derive(seed, "unknown", "eval")
    items = tuple(EvalItem(FAMILY, ask.choice(QUESTIONS[a]).format(e=e.name), e.value(a))
                  for e, a in cycle(ask, pairs, n_eval))
    return UnknownFacts(train=train, held=held, evals=items)
