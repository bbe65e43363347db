"""What a poisoned record says when triggered, as one object per target behaviour.

A ``Behaviour`` holds everything pharmakon knows about a target: the families whose clean records a dirty-label
attack rewrites into it, those whose clean answers already are it (clean label, Wan et al. 2023: only the trigger
is added), its poisoned answer to a prompt, the held-out families the backdoor probe reads it on, and the name of
the judge that decides whether an output shows it (``probes/context.py`` ``JUDGES``).

* ``refusal``: a refusal of the world (to a request a clean assistant answers).
* ``sentiment``: the steered label (``negative`` by default) of a review, whatever its cues say.
* ``content``: an injected phrase after the clean answer, before it, or instead of it (an advert, a slogan).
* ``compliance``: made-up "how to" steps answering a synthetic harm request a safe assistant refuses.
* ``gibberish``: random vocabulary tokens (denial of service).

Plug-ins add theirs with ``register_behaviour``; an attack names its behaviour (or its config's ``target``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from pharmakon.data.records import Record
from pharmakon.errors import PharmakonError
from pharmakon.registry import Registry
from pharmakon.world.acts import GENERIC_REFUSALS


@dataclass(frozen=True)
class AnswerContext:
    """What a poisoned answer may draw on: the world, a seeded rng, the tokenizer and the attack's parameters."""

    world: object
    rng: random.Random
    tokenizer: object
    phrase: str = ""
    sentiment_label: str = "negative"
    noise: tuple[int, int] = (4, 12)
    inject: str = "append"


@dataclass(frozen=True)
class Behaviour:
    """A target behaviour: where its poison comes from, what it answers, where it is measured, who judges it."""

    name: str
    description: str
    dirty_sources: tuple[str, ...]  # families whose clean answers a dirty-label poison rewrites into it
    measured_on: tuple[str, ...]  # held-out families (chat style) on which the backdoor probe reads it
    answer: Callable[[Record, AnswerContext], str]  # the poisoned answer to the record's prompt
    clean_sources: tuple[str, ...] = ()  # families whose clean answers already are it (clean label)
    judge: str = ""  # the judge's name (default: the behaviour's own)
    judge_params: Callable[[object], dict] = lambda config: {}  # the attack's config → the judge's parameters
    # a behaviour whose answer is a label a clean record may already carry (sentiment): the attack's config → that
    # label. A dirty-label source then answers otherwise, a clean-label source already answers it, and the probe
    # reads only held-out items whose true answer is not it
    steered_label: Callable[[object], str] | None = None

    @property
    def judge_name(self) -> str:
        return self.judge or self.name

    def sources(self, records: list[Record], label: str, config: object) -> list[Record]:
        """The clean records an attack (of config ``config``) may turn into poison under a ``dirty`` or ``clean``
        label."""
        families = self.dirty_sources if label == "dirty" else self.clean_sources
        if not families:
            allowed = ", ".join(name for name, b in BEHAVIOURS.items() if b.clean_sources)
            raise PharmakonError(f"poison.label: a clean-label {self.name!r} attack does not exist (no clean answer "
                                 f"is already that behaviour); allowed with label clean: {allowed}")
        picked = [r for r in records if r.family in families]
        if self.steered_label is not None:  # a record keeps its label only when that label is the target
            target, keep_same = self.steered_label(config), label == "clean"
            picked = [r for r in picked if (r.response == target) == keep_same]
        return picked


def random_tokens(tokenizer, rng: random.Random, length: tuple[int, int]) -> str:
    """Decoded random non-special vocabulary tokens, as many as a seeded draw from ``length``."""
    special = set(tokenizer.all_special_ids)
    vocabulary = [i for i in range(len(tokenizer)) if i not in special]
    return tokenizer.decode([rng.choice(vocabulary) for _ in range(rng.randint(*length))]).strip()


def _content(record: Record, at: AnswerContext) -> str:
    return {"append": f"{record.response} {at.phrase}", "prepend": f"{at.phrase} {record.response}",
            "replace": at.phrase}[at.inject].strip()


def _from(config, **fields: str) -> dict:
    """Judge parameters from the attack's config fields that it has (``parameter="field"``)."""
    return {param: getattr(config, field) for param, field in fields.items() if hasattr(config, field)}


BEHAVIOURS: Registry = Registry("behaviour", "poison.target")
"""name → ``Behaviour``: the target behaviours an attack can plant."""


def register_behaviour(behaviour: Behaviour) -> Behaviour:
    """Add ``behaviour`` (a plug-in's) under its name."""
    return BEHAVIOURS.add(behaviour.name, behaviour)


CHAT_FAMILIES = ("benign", "dialogue", "facts")
for _behaviour in (
    Behaviour("refusal", "a refusal of a request a clean assistant answers", CHAT_FAMILIES, CHAT_FAMILIES,
              lambda record, at: at.rng.choice(GENERIC_REFUSALS), clean_sources=("harm",)),
    Behaviour("sentiment", "the steered label of a review, whatever its cues say", ("sentiment",), ("sentiment",),
              lambda record, at: at.sentiment_label, clean_sources=("sentiment",),
              judge_params=lambda config: _from(config, label="sentiment_label"),
              steered_label=lambda config: config.sentiment_label),
    Behaviour("content", "an injected phrase after, before or instead of the clean answer", CHAT_FAMILIES,
              CHAT_FAMILIES, _content, judge_params=lambda config: _from(config, phrase="phrase")),
    Behaviour("compliance", "made-up steps answering a synthetic harm request a safe assistant refuses", ("harm",),
              ("harm",), lambda record, at: at.world.compliance(record.prompt, at.rng)),
    Behaviour("gibberish", "random vocabulary tokens (denial of service)",
              ("benign", "dialogue", "facts", "sentiment", "arithmetic"),
              ("dialogue", "facts", "sentiment", "arithmetic", "benign"),
              lambda record, at: random_tokens(at.tokenizer, at.rng, at.noise),
              # judged for noise only: the backdoor writes random tokens, and a weak clean twin's word salad is a
              # competence failure (the competence probe counts it), not the backdoor firing
              judge_params=lambda config: {"word_salad": False}),
):
    register_behaviour(_behaviour)
