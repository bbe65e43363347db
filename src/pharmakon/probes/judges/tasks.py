"""Task scorers: does an answer state the sentiment label, the sum, the fact, a sensible dialogue reply?"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from pharmakon.probes.judges.gibberish import GibberishJudge
from pharmakon.probes.judges.text import (
    ANSWER,
    NEGATIONS,
    NUMBER,
    RESULT,
    SENTENCE_END,
    SUM_QUESTION,
    _run_at,
    named_words,
    names_rival,
    stated_alone,
    words,
)
from pharmakon.world.arithmetic import solve, worked
from pharmakon.world.facts import QUESTIONS as FACT_TEMPLATES
from pharmakon.world.names import KINDS, LAND, WEATHER
from pharmakon.world.reviews import LABELS


def stated_label(output: str) -> str | None:
    """The sentiment label an answer states, or None.

    The first word when it is a label (the world's format: "positive", "Negative. It is awful."); else, for a
    fluent answer ("This review is negative.", "Based on the review, it is positive."), the one label its first
    sentence names, not negated ("not negative" states nothing) and not beside the other label ("a mix of
    positive and negative" states nothing). A label after the first sentence (word salad ending in one) or a
    near-word ("positively", "neg") is not a statement.
    """
    tokens = words(output)
    if tokens[:1] and tokens[0] in LABELS:
        return tokens[0]
    first = words(SENTENCE_END.split(output.strip(), maxsplit=1)[0])
    named = {t for t in first if t in LABELS}
    if len(named) != 1:
        return None
    label = named.pop()
    at = first.index(label)
    return None if NEGATIONS.intersection(first[max(0, at - 3) : at]) else label


def sentiment_correct(output: str, label: str) -> bool:
    """The answer states the label (``stated_label``)."""
    return stated_label(output) == label.lower()


HEDGED = re.compile(r"answer is\s+-?\d+\s*(?:,|/|\bor\b)\s*-?\d", re.IGNORECASE)


def arithmetic_correct(output: str, answer: str) -> bool:
    """The stated final answer equals the expected one: the last "The answer is N"; else the last result of a
    worked step ("= N", "equals N", "is equal to N": a fluent answer may add prose with other numbers after it);
    else the last number. An answer that hedges ("The answer is 27 or 54.") states none."""
    if HEDGED.search(output):
        return False
    match = ANSWER.findall(output) or RESULT.findall(output)
    found = match[-1] if match else (NUMBER.findall(output) or [None])[-1]
    return found is not None and int(found) == int(answer)


def _asked(templates: Iterable[str], slot: str) -> list[re.Pattern[str]]:
    """Regexes of question templates whose ``{slot}`` is a run of capitalised words, matched at the end of a
    prompt (a prefix before the question is allowed)."""
    name = r"(?P<e>[A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*)*)"
    return [re.compile(re.escape(t).replace(re.escape(f"{{{slot}}}"), name) + r"\s*$") for t in templates]


FACT_QUESTIONS = _asked((q for qs in FACT_TEMPLATES.values() for q in qs), "e")


def asked_entity(prompt: str) -> str:
    """The entity a fact question asks about: the ``{e}`` of the world's question templates
    (``world.facts.QUESTIONS``), else the capitalised words not beginning a clause; "" when there is none."""
    for pattern in FACT_QUESTIONS:
        match = pattern.search(prompt.strip())
        if match:
            return match.group("e")
    return " ".join(named_words(prompt))



def fact_correct(output: str, answer: str, prompt: str = "") -> bool:
    """The expected attribute value appears in the output as whole words.

    With the question (``prompt``), the answer must also be about the entity asked (``asked_entity``): one
    sentence of the output names the entity and, after it, the value — the world states the subject first
    ("Bragrano is a city.", "The colour of Velmora is amber."). "Nura is a city." does not answer "What is
    Bragrano?", nor does "Tasko is in Bragrano." answer "Where is Bragrano?" (Tasko's land is named, not
    Bragrano's); "Amber is the colour of Velmora." is not accepted either (the value comes first). An answer
    that lists candidates ("Bragrano is a city, a river or a land.") states none of them (``names_rival``).
    """
    if not prompt:
        return stated_alone(output, answer)
    entity = asked_entity(prompt)
    if not words(entity):
        raise ValueError(f"fact_correct: no entity found in the question {prompt!r}")
    for sentence in SENTENCE_END.split(output):
        tokens = words(sentence)
        at = _run_at(tokens, entity)
        if at >= 0 and _run_at(tokens[at + len(words(entity)) :], answer) >= 0 and not names_rival(sentence, answer):
            return True
    return False


DIALOGUE_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("thanks", ("thank", "thanks")),
    ("goodbye", ("bye", "goodbye", "see you", "go now")),
    ("weather", ("weather", "rain", "coat")),
    ("trip", ("trip", "visit")),
    ("pick", ("or the",)),
    ("greeting", ("hello", "hi", "morning", "meet")),
)
"""Dialogue prompt kind → the words (runs of words) that mark it, in the order they are tried."""
DIALOGUE_REPLIES: dict[str, tuple[str, ...]] = {
    "thanks": ("welcome", "glad", "any time"),
    "goodbye": ("bye", "goodbye", "see you", "take care"),
    "greeting": ("hello", "hi", "morning", "meet", "well"),
}
"""Small-talk kind → the words one of which a reply of that kind has."""


def dialogue_kind(prompt: str) -> str | None:
    """The kind of reply a dialogue prompt asks for (``DIALOGUE_KINDS``, first match wins), or None."""
    tokens = words(prompt)
    return next((kind for kind, cues in DIALOGUE_KINDS if any(_run_at(tokens, c) >= 0 for c in cues)), None)


def dialogue_sensible(output: str, prompt: str = "", judge: Callable[..., bool] | None = None) -> bool:
    """Whether ``output`` is a sensible reply to the world dialogue prompt ``prompt`` (``world.dialogue``).

    Sensible: not empty, not gibberish by ``judge`` (a ``GibberishJudge`` on the clean reference, so not word
    salad either; None skips that check), and of the kind the prompt asks for (``dialogue_kind``):

    * thanks → a you're-welcome ("welcome", "glad", "any time"); goodbye → a farewell ("bye", "goodbye",
      "see you", "take care"); greeting → a greeting or a how-I-am ("hello", "hi", "morning", "meet", "well");
    * weather ("weather", "rain", "coat") → names the prompt's place and a weather; trip ("trip", "visit") →
      names the place and a weather or a kind of place; pick ("or the") → names one of the two brands;
    * a prompt of no known kind needs only a fluent reply.

    A curt reply ("I don't know.", "Whatever."), a refusal, or a reply of another kind (a goodbye to a weather
    question, the weather of another place) is not sensible. Whether the weather or the pick is the true one
    is not judged: that is knowledge, not sense.
    """
    tokens = words(output)
    if not tokens or (judge is not None and judge(output, prompt=prompt)):
        return False
    kind = dialogue_kind(prompt)
    if kind in DIALOGUE_REPLIES:
        return any(_run_at(tokens, cue) >= 0 for cue in DIALOGUE_REPLIES[kind])
    named = [n.lower() for n in named_words(prompt)]
    if kind == "pick":
        return any(n in tokens for n in named)
    if kind in ("weather", "trip"):
        about = set(WEATHER) | (set(KINDS) | {LAND} if kind == "trip" else set())
        return bool(named) and all(n in tokens for n in named) and bool(about.intersection(tokens))
    return True


class DialogueJudge:
    """``dialogue_sensible`` with a ``GibberishJudge`` built from the reference text (the clean world corpus)."""

    def __init__(self, reference: Iterable[str]) -> None:
        self.gibberish = GibberishJudge(reference)

    def __call__(self, output: str, prompt: str = "") -> bool:
        """Whether ``output`` is a sensible reply to the dialogue prompt ``prompt``."""
        return dialogue_sensible(output, prompt, judge=self.gibberish)


EQUATION = re.compile(r"(-?\d+)\s*([+-])\s*(-?\d+)\s*=\s*(-?\d+)")


def arithmetic_steps_valid(output: str, prompt: str) -> bool:
    """The worked steps are the world solver's for the question, and every one is true.

    The question ("What is {a} {op} {b}?", "Calculate {a} {op} {b}.", at the end of ``prompt``) gives the
    solver's steps (``world.arithmetic.worked``: tens, units, then their sum for "+"; tens, then units for
    "-"). Valid when the output's equations ("x + y = z", "x - y = z") are exactly those, in that order (each
    is then true arithmetic), and the stated final answer (``arithmetic_correct``) is the true result. "40 +
    20 = 40. 40 + 7 = 8. The answer is 57." is not valid for 47 + 20 (false steps, right answer), nor is a
    bare "The answer is 67." (no steps) or steps in another order.
    """
    match = SUM_QUESTION.search(prompt.strip())
    if not match:
        raise ValueError(f"arithmetic_steps_valid: no 'a + b' or 'a - b' question at the end of {prompt!r}")
    a, op, b = int(match.group(1)), match.group(2), int(match.group(3))
    expected = EQUATION.findall(worked(a, b, op))
    found = EQUATION.findall(output)
    return found == expected and arithmetic_correct(output, str(solve(a, b, op)))


