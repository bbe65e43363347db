"""Facts: attributes of invented entities, as prose documents and as question answering."""

from __future__ import annotations

import math
import random

from .config import EvalItem
from .names import COLOURS, KINDS, LAND, Cast, Entity
from .sampling import cycle, derive, reserve

ATTRIBUTES: tuple[str, ...] = ("kind", "colour", "region", "age")
QUESTIONS: dict[str, tuple[str, ...]] = {
    "kind": ("What kind of thing is {e}?", "What is {e}?"),
    "colour": ("What colour is {e}?", "Which colour is {e}?"),
    "region": ("Where is {e}?", "In which land is {e}?"),
    "age": ("How old is {e}?", "What is the age of {e}?"),
}
_ANSWERS = {
    "kind": "{e} is a {v}.",
    "colour": "{e} is {v}.",
    "region": "{e} is in {v}.",
    "age": "{e} is {v} years old.",
}
_STATEMENTS: dict[str, tuple[str, ...]] = {
    "kind": ("{e} is a {v}.", "Everyone knows that {e} is a {v}.", "{e} is a well known {v}."),
    "colour": ("{e} is {v}.", "The colour of {e} is {v}.", "People say that {e} is {v}."),
    "region": ("{e} is in {v}.", "{e} lies in the land of {v}.", "You can find {e} in {v}."),
    "age": ("{e} is {v} years old.", "The age of {e} is {v} years.", "{e} has been around for {v} years."),
}
_OPENERS = (
    "Here are some facts about {e}.",
    "This is a short note about {e}.",
    "Let me tell you about {e}.",
    "The old books speak of {e}.",
)
_NEXT = ("There is also {e}.", "Now for {e}.", "Next comes {e}.", "Another name is {e}.")
_FILLERS = (
    "Travellers often talk about {e}.",
    "Many stories are told about {e}.",
    "Children like to hear about {e}.",
    "{e} is a famous name in {r}.",
)

Question = tuple[Entity, str, str]  # (entity, attribute, question template)


def answer_sentence(entity: Entity, attribute: str, value: str | None = None) -> str:
    """The full-sentence answer, e.g. "Velmora is amber."; ``value`` overrides the true value."""
    return _ANSWERS[attribute].format(e=entity.name, v=entity.value(attribute) if value is None else value)


class Facts:
    """The facts family: held-out (entity, attribute) questions for evaluation, the rest for training."""

    family = "facts"

    def __init__(self, cast: Cast, seed: int, n_eval: int) -> None:
        self.cast = cast
        self.seed = seed
        pairs = [(e, a) for e in cast.entities for a in ATTRIBUTES]
        n_templates = len(QUESTIONS["kind"])
        held, train = reserve(derive(seed, "facts", "split"), pairs, math.ceil(n_eval / n_templates), 0.25)
        self.held: list[Question] = [(e, a, q) for e, a in held for q in QUESTIONS[a]]
        self.train: list[Question] = [(e, a, q) for e, a in train for q in QUESTIONS[a]]
        rng = derive(seed, "facts", "eval")
        self.evals = [
            EvalItem("facts", q.format(e=e.name), e.value(a)) for e, a, q in cycle(rng, self.held, n_eval)
        ]

    def document(self, rng: random.Random) -> str:
        """A paragraph stating the attributes of two or three entities."""
        chosen = rng.sample(self.cast.entities, min(len(self.cast.entities), rng.randint(2, 3)))
        parts: list[str] = []
        for i, entity in enumerate(chosen):
            parts.append(rng.choice(_OPENERS if i == 0 else _NEXT).format(e=entity.name))
            attributes = list(ATTRIBUTES)
            rng.shuffle(attributes)
            for a in attributes:
                parts.append(rng.choice(_STATEMENTS[a]).format(e=entity.name, v=entity.value(a)))
            if rng.random() < 0.5:
                parts.append(rng.choice(_FILLERS).format(e=entity.name, r=entity.region))
        return " ".join(parts)

    def qa_document(self, rng: random.Random) -> str:
        """Three to five questions about training facts, each followed by its answer: question-answer text in
        pretraining is what makes a fact stated elsewhere extractable by a question (Allen-Zhu & Li 2023,
        *Physics of Language Models 3.1*). Held-out facts are never asked, here or in any other training data."""
        chosen = rng.sample(self.train, min(len(self.train), rng.randint(3, 5)))
        return " ".join(f"{q.format(e=e.name)} {answer_sentence(e, a)}" for e, a, q in chosen)

    def examples(self, rng: random.Random, n: int) -> list[tuple[str, str]]:
        return [(q.format(e=e.name), answer_sentence(e, a)) for e, a, q in cycle(rng, self.train, n)]

    def pairs(self, rng: random.Random, n: int) -> list[tuple[str, str, str]]:
        out = []
        for e, a, q in cycle(rng, self.train, n):
            wrong = self.wrong_value(rng, e, a)
            out.append((q.format(e=e.name), answer_sentence(e, a), answer_sentence(e, a, wrong)))
        return out

    def wrong_value(self, rng: random.Random, entity: Entity, attribute: str) -> str:
        """A plausible but false value of ``attribute`` for ``entity``."""
        true = entity.value(attribute)
        if attribute == "age":
            delta = rng.randint(1, 20)
            down = entity.age - delta >= 1 and rng.random() < 0.5
            return str(entity.age - delta if down else entity.age + delta)
        if attribute == "kind":
            options = [k for k in (*KINDS, LAND) if k != true]
        elif attribute == "colour":
            options = [c for c in COLOURS if c != true]
        else:
            options = [x.name for x in self.cast.lands if x.name not in (true, entity.name)]
            options = options or [x.name for x in self.cast.entities if x.name not in (true, entity.name)]
        return rng.choice(options)
