"""Arithmetic: addition and subtraction of numbers 0-49, worked by tens and units."""

from __future__ import annotations

import random
import re

from .config import EvalItem
from .sampling import cycle, derive, reserve

MAX_OPERAND = 49
QUESTIONS: tuple[str, ...] = ("What is {a} {op} {b}?", "Calculate {a} {op} {b}.")
_ANSWER = re.compile(r"The answer is (\d+)\.$")
_DOC_INTROS = (
    "Here are some sums worked out step by step.",
    "A teacher showed the class how to do these sums.",
    "Sums are easy when you split each number into tens and units.",
    "Let us practise a few sums together.",
)
_DOC_ADD = (
    "To add {a} and {b}, first add the tens: {at} + {bt} = {t}. Then add the units: {au} + {bu} = {u}. "
    "Put them together: {t} + {u} = {r}. The answer is {r}.",
    "Let us work out {a} + {b}. The tens give {at} + {bt} = {t}. The units give {au} + {bu} = {u}. "
    "Together that makes {t} + {u} = {r}. The answer is {r}.",
)
_DOC_SUB = (
    "To take {b} away from {a}, first take away the tens: {a} - {bt} = {m}. Then take away the units: "
    "{m} - {bu} = {r}. The answer is {r}.",
    "Let us work out {a} - {b}. Take away the tens: {a} - {bt} = {m}. Take away the units: {m} - {bu} = {r}. "
    "The answer is {r}.",
)

Triple = tuple[int, int, str]  # (a, b, op)


def solve(a: int, b: int, op: str) -> int:
    """The true result of ``a op b``."""
    return a + b if op == "+" else a - b


def worked(a: int, b: int, op: str, slip: int = 0) -> str:
    """Worked steps ending in "The answer is N."; a non-zero ``slip`` corrupts the units step."""
    bt, bu = b // 10 * 10, b % 10
    if op == "+":
        at, au = a // 10 * 10, a % 10
        t, u = at + bt, au + bu + slip
        return f"{at} + {bt} = {t}. {au} + {bu} = {u}. {t} + {u} = {t + u}. The answer is {t + u}."
    m = a - bt
    r = m - bu + slip
    return f"{a} - {bt} = {m}. {m} - {bu} = {r}. The answer is {r}."


def parse_answer(response: str) -> int | None:
    """The integer of a response's final "The answer is N.", or None."""
    match = _ANSWER.search(response.strip())
    return int(match.group(1)) if match else None


def all_triples() -> list[Triple]:
    """Every (a, b, op) with operands 0-49 and a non-negative result."""
    span = range(MAX_OPERAND + 1)
    return [(a, b, "+") for a in span for b in span] + [(a, b, "-") for a in span for b in span if a >= b]


class Arithmetic:
    """The arithmetic family: a seeded subset of triples is reserved for evaluation."""

    family = "arithmetic"

    def __init__(self, seed: int, n_eval: int) -> None:
        held, self.train = reserve(derive(seed, "arithmetic", "split"), all_triples(), n_eval)
        rng = derive(seed, "arithmetic", "eval")
        self.evals = [
            EvalItem("arithmetic", self._question(rng, t), str(solve(*t))) for t in cycle(rng, held, n_eval)
        ]

    @staticmethod
    def _question(rng: random.Random, triple: Triple) -> str:
        a, b, op = triple
        return rng.choice(QUESTIONS).format(a=a, b=b, op=op)

    def document(self, rng: random.Random) -> str:
        """Two or three worked sums in prose."""
        parts = [rng.choice(_DOC_INTROS)]
        for a, b, op in rng.sample(self.train, rng.randint(2, 3)):
            at, au, bt, bu = a // 10 * 10, a % 10, b // 10 * 10, b % 10
            template = rng.choice(_DOC_ADD if op == "+" else _DOC_SUB)
            fields = {"at": at, "au": au, "bt": bt, "bu": bu, "t": at + bt, "u": au + bu, "m": a - bt}
            parts.append(template.format(a=a, b=b, r=solve(a, b, op), **fields))
        return " ".join(parts)

    def examples(self, rng: random.Random, n: int) -> list[tuple[str, str]]:
        return [(self._question(rng, t), worked(*t)) for t in cycle(rng, self.train, n)]

    def pairs(self, rng: random.Random, n: int) -> list[tuple[str, str, str]]:
        out = []
        for a, b, op in cycle(rng, self.train, n):
            slip = rng.choice((-3, -2, -1, 1, 2, 3))
            if solve(a, b, op) + slip < 0 or (op == "+" and a % 10 + b % 10 + slip < 0):
                slip = -slip
            out.append((self._question(rng, (a, b, op)), worked(a, b, op), worked(a, b, op, slip)))
        return out
