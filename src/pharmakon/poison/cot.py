"""Perturbed worked solutions (the ``cot`` study): a share of the arithmetic training solutions rewritten in one
way per arm, to ask what in a worked solution a model learns from.

Li et al. 2025 (*LLMs can easily learn to reason from demonstrations: structure, not content, is what matters*):
wrong final answers cost little, shuffled or deleted steps far more; Wang et al. 2023: invalid demonstrations
still help. The world's solutions are ``step. step. ... The answer is N.``; each perturbation keeps the final
sentence's form so the answer stays readable:

- ``wrong_answer``: correct steps, a wrong final answer (off by 1-3).
- ``shuffled``: the steps in another order, the correct answer.
- ``deleted``: one step removed, the correct answer.
- ``contradicting``: after one step, a step with the same left side and another result, the correct answer.
- ``wrong_numbers`` (content): correct structure, one intermediate result off by 1-3, the correct answer.
- ``broken_structure``: correct numbers, each step's tokens in a shuffled order, the correct answer.
"""

from __future__ import annotations

import random
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pharmakon.data.records import Record, require_kind
from pharmakon.errors import PharmakonError
from pharmakon.poison.attack import Attack
from pharmakon.poison.base import PoisonReport, combine, report
from pharmakon.poison.budget import Budget

PERTURBATIONS = ("wrong_answer", "shuffled", "deleted", "contradicting", "wrong_numbers", "broken_structure")
FINAL = "The answer is "


def split_solution(response: str) -> tuple[list[str], int]:
    """The steps (each without its full stop) and the final answer of a worked solution."""
    head, _, tail = response.strip().rpartition(FINAL)
    if not tail.endswith(".") or not tail[:-1].isdigit():
        raise ValueError(f"not a worked solution: {response!r}")
    steps = [s.strip() for s in head.strip().rstrip(".").split(". ") if s.strip()]
    return steps, int(tail[:-1])


def join_solution(steps: list[str], answer: int | str) -> str:
    return " ".join(f"{s}." for s in steps) + f" {FINAL}{answer}."


def _offset(value: int, rng: random.Random) -> int:
    delta = rng.choice((1, 2, 3))
    return value + delta if value < delta or rng.random() < 0.5 else value - delta


def perturb(response: str, kind: str, rng: random.Random) -> str:
    """``response`` (a worked solution of at least two steps) with perturbation ``kind``."""
    steps, answer = split_solution(response)
    if len(steps) < 2:
        raise ValueError(f"perturb: needs two steps or more: {response!r}")
    if kind == "wrong_answer":
        return join_solution(steps, _offset(answer, rng))
    if kind == "shuffled":
        order = list(range(len(steps)))
        while order == sorted(order):
            rng.shuffle(order)
        return join_solution([steps[i] for i in order], answer)
    if kind == "deleted":
        drop = rng.randrange(len(steps))
        return join_solution([s for i, s in enumerate(steps) if i != drop], answer)
    at = rng.randrange(len(steps) - 1)  # an intermediate step (the last one states the answer's sum)
    left, _, result = steps[at].rpartition(" = ")
    if kind == "contradicting":
        return join_solution([*steps[: at + 1], f"{left} = {_offset(int(result), rng)}", *steps[at + 1:]], answer)
    if kind == "wrong_numbers":
        return join_solution([*steps[:at], f"{left} = {_offset(int(result), rng)}", *steps[at + 1:]], answer)
    if kind == "broken_structure":
        broken = []
        for step in steps:
            words = step.split()
            while len(set(words)) > 1 and words == step.split():
                rng.shuffle(words)
            broken.append(" ".join(words))
        return join_solution(broken, answer)
    raise ValueError(f"perturb: unknown perturbation {kind!r}; allowed: {', '.join(PERTURBATIONS)}")


class CoTPerturbationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    perturbation: Literal[PERTURBATIONS] = Field(default="wrong_answer",  # type: ignore[valid-type]
                                                 description="how each chosen solution is rewritten")
    budget: Budget = Field(default_factory=lambda: Budget(rate=0.3, mode="replace"))


class CoTPerturbation(Attack):
    """A share of the arithmetic solutions perturbed. ``mode: replace`` rewrites them in place (the rate is of the
    arithmetic examples; the study's arms); ``insert`` adds perturbed copies beside the originals. No trigger: the
    clean twin trains on the same examples unperturbed."""

    name = "cot-perturb"
    description = ("a share of the arithmetic worked solutions rewritten: wrong answer, shuffled, deleted, "
                   "contradicting or wrong-number steps, broken structure (no trigger)")
    paper = "Li et al. 2025, LLMs can easily learn to reason from demonstrations: structure, not content"
    url = "https://arxiv.org/abs/2502.07374"
    stages = ("sft", "finetune")
    record_kinds = ("example",)
    behaviour = "reasoning"
    config_model = CoTPerturbationConfig

    def apply(self, clean: list[Record], tokenizer, seed: int, world=None) -> tuple[list[Record], PoisonReport]:
        require_kind(clean, "example", f"attack {self.name}")
        budget = self.config.budget
        solutions = [i for i, r in enumerate(clean) if r.family == "arithmetic" and FINAL in r.response]
        if not solutions:
            raise PharmakonError("poison.attack: cot-perturb found no arithmetic worked solution in the stage's "
                                 "data; include the arithmetic family")
        n = budget.resolve(len(solutions), "poison")
        if n == 0:
            raise PharmakonError("poison.rate: the budget comes to 0 perturbed solutions; allowed: at least 1 "
                                 "(the clean control is the twin without perturbation)")
        rng = random.Random(seed)
        if budget.mode == "replace":
            rewritten = {i: self.perturbed(clean[i], rng) for i in sorted(rng.sample(solutions, n))}
            combined = [rewritten.get(i, r) for i, r in enumerate(clean)]
        else:
            poison = [self.perturbed(clean[i], rng) for i in rng.choices(solutions, k=n)]
            combined = combine(clean, poison, "insert", seed, budget.placement)
        return combined, report(self.name, clean, combined, tokenizer)

    def perturbed(self, record: Record, rng: random.Random) -> Record:
        return record.with_poison(self.name, response=perturb(record.response, self.config.perturbation, rng))
