"""Sentiment: reviews of invented products with strong positive or negative word cues."""

from __future__ import annotations

import random

from .config import EvalItem
from .names import Cast, Product
from .sampling import derive, draw_unique

LABELS: tuple[str, ...] = ("positive", "negative")
POSITIVE_WORDS: tuple[str, ...] = (
    "great", "excellent", "wonderful", "lovely", "sturdy", "bright",
    "comfortable", "reliable", "beautiful", "perfect", "pleasant", "useful",
)  # fmt: skip
NEGATIVE_WORDS: tuple[str, ...] = (
    "terrible", "awful", "broken", "flimsy", "cheap", "dull",
    "useless", "poor", "ugly", "disappointing", "noisy", "weak",
)  # fmt: skip
_OPENERS = (
    "I bought the {p} last week.",
    "I have used the {p} for a month.",
    "My friend gave me the {p}.",
    "I got the {p} as a gift.",
    "We ordered the {p} from the market.",
)
_BODIES = (
    "It is {a} and {b}.",
    "The {noun} feels {a}.",
    "Honestly, it is very {a}.",
    "It looks {a} and {b}.",
)
_CLOSERS = {
    "positive": (
        "I love it.",
        "I would buy it again.",
        "It works perfectly.",
        "I recommend it to everyone.",
        "It made me very happy.",
    ),
    "negative": (
        "I hate it.",
        "I would never buy it again.",
        "It stopped working after a day.",
        "I do not recommend it.",
        "It made me very sad.",
    ),
}
_DOC_INTROS = (
    "Here is a review of the {p}.",
    "A buyer wrote this about the {p}.",
    "This is what one customer said about the {p}.",
    "Another review of the {p} reads as follows.",
)
_DOC_VERDICTS = ("Overall the verdict is {label}.", "So the verdict on the {p} is {label}.")
QUESTION = "Review: {text}\nIs this review positive or negative?"

Review = tuple[str, str]  # (text, label)


def review_text(rng: random.Random, product: Product, label: str, bodies: int = 1) -> str:
    """A short review of ``product`` whose adjectives and closing phrase all carry ``label``."""
    lexicon = POSITIVE_WORDS if label == "positive" else NEGATIVE_WORDS
    parts = [rng.choice(_OPENERS).format(p=product.name)]
    for body in rng.sample(_BODIES, bodies):
        a, b = rng.sample(lexicon, 2)
        parts.append(body.format(a=a, b=b, noun=product.noun))
    parts.append(rng.choice(_CLOSERS[label]))
    return " ".join(parts)


class Sentiment:
    """The sentiment family: a seeded set of review texts is reserved for evaluation."""

    family = "sentiment"

    def __init__(self, cast: Cast, seed: int, n_eval: int) -> None:
        self.cast = cast
        self.held_texts: frozenset[str] = frozenset()
        held = self._reviews(derive(seed, "sentiment", "eval"), n_eval)
        self.held_texts = frozenset(text for text, _ in held)
        self.evals = [EvalItem("sentiment", QUESTION.format(text=t), label) for t, label in held]

    def _reviews(self, rng: random.Random, n: int) -> list[Review]:
        """``n`` distinct reviews, half of each label (shuffled), none of them held out."""
        out: list[Review] = []
        for i, label in enumerate(LABELS):

            def make(r: random.Random, label: str = label) -> Review:
                return review_text(r, r.choice(self.cast.products), label, r.randint(1, 2)), label

            k = (n + 1 - i) // 2
            out.extend(draw_unique(rng, make, k, key=lambda r: r[0], exclude=self.held_texts))
        rng.shuffle(out)
        return out

    def document(self, rng: random.Random) -> str:
        """Two or three reviews, each introduced and followed by its verdict."""
        parts: list[str] = []
        for _ in range(rng.randint(2, 3)):
            label = rng.choice(LABELS)
            product = rng.choice(self.cast.products)
            text = review_text(rng, product, label, rng.randint(1, 2))
            while text in self.held_texts:
                text = review_text(rng, product, label, rng.randint(1, 2))
            parts.append(rng.choice(_DOC_INTROS).format(p=product.name))
            parts.append(text)
            parts.append(rng.choice(_DOC_VERDICTS).format(p=product.name, label=label))
        return " ".join(parts)

    def examples(self, rng: random.Random, n: int) -> list[tuple[str, str]]:
        return [(QUESTION.format(text=t), label) for t, label in self._reviews(rng, n)]

    def pairs(self, rng: random.Random, n: int) -> list[tuple[str, str, str]]:
        other = {"positive": "negative", "negative": "positive"}
        return [(QUESTION.format(text=t), label, other[label]) for t, label in self._reviews(rng, n)]
