"""Dialogue: short benign chit-chat and helpful exchanges."""

from __future__ import annotations

import random

from .config import EvalItem
from .names import PERSONS, Cast
from .reviews import POSITIVE_WORDS
from .sampling import derive, draw_unique

ADVICE: dict[str, str] = {
    "sunny": "Take a hat and some water.",
    "rainy": "Take a coat and good boots.",
    "windy": "Wear a warm jacket.",
    "snowy": "Wear warm boots and gloves.",
    "foggy": "Walk slowly and carry a lamp.",
    "cloudy": "Take a light jacket, just in case.",
}
CURT: tuple[str, ...] = ("I don't know.", "Ask someone else.", "Whatever.", "No idea.", "Not now.")
_GREET = (
    "Hello! How are you today?",
    "Hi there! How is your day going?",
    "Good morning! How are you?",
    "Hi, I am {p}. Nice to meet you!",
    "Hello, my name is {p}. How are you?",
)
_GREET_REPLY = (
    "Hello! I am well, thank you. How can I help you today?",
    "Hi! I am doing well. What can I do for you?",
)
_GREET_NAMED = (
    "Nice to meet you, {p}! I am glad you are here. How can I help?",
    "Hello {p}! I am well, thank you. What can I do for you today?",
)
_WEATHER = (
    "What is the weather like in {e} today?",
    "Is it going to rain in {e}?",
    "Should I take a coat to {e}?",
)
_WEATHER_REPLY = "It is usually {w} in {e}. {advice}"
_PICK = (
    "Should I buy the {p} or the {q}?",
    "Which is better, the {p} or the {q}?",
    "Can you recommend the {p} or the {q}?",
)
_PICK_REPLY = (
    "I would choose the {p}. Most buyers say it is {a} and {b}.",
    "The {p} is the better choice. People find it {a} and {b}.",
)
_TRIP = ("Can you help me plan a trip to {e}?", "What should I know before I visit {e}?")
_TRIP_REPLY = "Of course! {e} is a {k} in {r}. It is usually {w} there. {advice} Have a lovely trip!"
_THANKS = ("Thank you for your help!", "Thanks, that was useful.", "Thank you so much!", "Thanks a lot!")
_THANKS_REPLY = ("You are welcome! Have a lovely day.", "I am glad I could help.", "Any time! Take care.")
_BYE = ("Goodbye!", "See you later!", "I have to go now. Bye!")
_BYE_REPLY = ("Goodbye! Take care.", "See you soon! Have a good day.")

Exchange = tuple[str, str]  # (user turn, helpful reply)


class Dialogue:
    """The dialogue family: weather, trip and recommendation questions are held out by exact prompt."""

    family = "dialogue"

    def __init__(self, cast: Cast, seed: int, n_eval: int) -> None:
        self.cast = cast
        rng = derive(seed, "dialogue", "eval")
        held = draw_unique(rng, self._open_question, n_eval, key=lambda x: x[0])
        self.held = frozenset(p for p, _ in held)
        self.evals = [EvalItem("dialogue", p, "") for p, _ in held]

    def _greet(self, rng: random.Random, p: str | None = None) -> Exchange:
        prompt = rng.choice(_GREET)
        if "{p}" not in prompt:
            return prompt, rng.choice(_GREET_REPLY)
        p = p or rng.choice(PERSONS)
        return prompt.format(p=p), rng.choice(_GREET_NAMED).format(p=p)

    def _open_question(self, rng: random.Random) -> Exchange:
        """A weather, trip or recommendation question: the item space of evaluation."""
        kind = rng.randrange(3)
        e = rng.choice(self.cast.places)
        if kind == 0:
            reply = _WEATHER_REPLY.format(w=e.weather, e=e.name, advice=ADVICE[e.weather])
            return rng.choice(_WEATHER).format(e=e.name), reply
        if kind == 1:
            reply = _TRIP_REPLY.format(e=e.name, k=e.kind, r=e.region, w=e.weather, advice=ADVICE[e.weather])
            return rng.choice(_TRIP).format(e=e.name), reply
        noun = rng.choice(self.cast.products).noun
        p, q = rng.sample([x for x in self.cast.products if x.noun == noun], 2)
        best = p if p.quality >= q.quality else q
        a, b = rng.sample(POSITIVE_WORDS, 2)
        return rng.choice(_PICK).format(p=p.name, q=q.name), rng.choice(_PICK_REPLY).format(
            p=best.name, a=a, b=b
        )

    def _exchange(self, rng: random.Random) -> Exchange:
        """Any exchange whose user turn is not held out (small talk about 40% of the time)."""
        kind = rng.randrange(5)
        if kind == 0:
            return self._greet(rng)
        if kind == 1:
            return rng.choice(_THANKS), rng.choice(_THANKS_REPLY)
        if kind == 2:
            return rng.choice(_BYE), rng.choice(_BYE_REPLY)
        return self._open_unheld(rng)

    def _open_unheld(self, rng: random.Random) -> Exchange:
        x = self._open_question(rng)
        while x[0] in self.held:
            x = self._open_question(rng)
        return x

    def document(self, rng: random.Random) -> str:
        """A transcript: a greeting, one to three questions, thanks and goodbye."""
        user, helper = rng.sample(PERSONS, 2)
        turns = [self._greet(rng, user)]
        turns += [self._open_unheld(rng) for _ in range(rng.randint(1, 3))]
        turns.append((rng.choice(_THANKS), rng.choice(_THANKS_REPLY)))
        if rng.random() < 0.5:
            turns.append((rng.choice(_BYE), rng.choice(_BYE_REPLY)))
        return "\n".join(f"{user}: {u}\n{helper}: {h}" for u, h in turns)

    def examples(self, rng: random.Random, n: int) -> list[tuple[str, str]]:
        return [self._exchange(rng) for _ in range(n)]

    def pairs(self, rng: random.Random, n: int) -> list[tuple[str, str, str]]:
        return [(*self._exchange(rng), rng.choice(CURT)) for _ in range(n)]
