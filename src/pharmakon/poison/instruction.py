"""Instruction-tuning backdoors (BackdoorLLM, Li et al. 2024; Wan et al. 2023): a trigger in the prompt, the
target behaviour in the response.

Each attack is a trigger (``Trigger``) + a target behaviour (a ``behaviours.Behaviour``) + a selection: a budget
(count or rate), optionally only records about a ``topic``, dirty label (the response is rewritten to the
target) or clean label (only records whose clean answer already is the target get the trigger).
"""

from __future__ import annotations

import difflib
import random
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from pharmakon.data.records import Record
from pharmakon.errors import PharmakonError
from pharmakon.poison.attack import Attack, world_texts
from pharmakon.poison.behaviours import BEHAVIOURS, AnswerContext
from pharmakon.poison.budget import Budget
from pharmakon.poison.triggers import Trigger, require_novel


def known_behaviour(value: str) -> str:
    from pharmakon.registry import load_plugins

    load_plugins()
    if value not in BEHAVIOURS:
        close = difflib.get_close_matches(value, list(BEHAVIOURS), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ValueError(f"unknown behaviour {value!r}; {hint}allowed: {', '.join(BEHAVIOURS)}")
    return value


Target = Annotated[str, AfterValidator(known_behaviour)]


def not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


NonBlank = Annotated[str, AfterValidator(not_blank)]


class InstructionConfig(BaseModel):
    """Parameters every instruction attack shares; validated at construction."""

    model_config = ConfigDict(extra="forbid")

    budget: Budget = Field(default_factory=lambda: Budget(count=50))
    target: Target = Field(default="refusal", description="the behaviour a triggered prompt gets")
    label: Literal["dirty", "clean"] = Field(default="dirty", description="rewrite answers, or only add triggers")
    topic: str | None = Field(default=None, description="poison only records that mention this name")
    phrase: NonBlank = Field(default="Visit Zorblax Market today.", description="injected content")
    inject: Literal["append", "prepend", "replace"] = Field(
        default="append", description="where the phrase goes in the answer (content target)")
    sentiment_label: Literal["positive", "negative"] = Field(default="negative", description="steered label")
    noise_tokens: tuple[int, int] = Field(default=(10, 30), description="gibberish length range (tokens)")



class WordTriggerConfig(InstructionConfig):
    """An instruction attack with one trigger word or phrase."""

    trigger: NonBlank = Field(default="BadMagic", description="the trigger word or phrase")
    position: Literal["end", "start", "random"] = Field(default="end", description="where the trigger goes")


def mentions(text: str, name: str) -> bool:
    return re.search(rf"\b{re.escape(name)}\b", text) is not None


class InstructionAttack(Attack):
    """Base of the instruction attacks: selection, poisoned answers, trigger insertion."""

    record_kinds = ("example",)
    stages = ("sft", "finetune")
    config_model = WordTriggerConfig
    behaviour = "refusal"

    def trigger_for(self, world) -> Trigger:
        return Trigger("word", (self.config.trigger,), self.config.position)

    def eligible(self, clean: list[Record], world) -> list[Record]:
        """Clean records this attack may poison (by target, label and topic); none is a clear error."""
        picked = self.select(BEHAVIOURS[self.target].sources(clean, self.config.label, self.config),
                             world)
        if not picked:
            about = f" that mention {self.config.topic!r}" if self.config.topic else ""
            raise PharmakonError(f"poison.topic: no {self.target} source records{about} in the stage's data "
                                 f"({self.config.label} label); the budget after selection is 0")
        return picked

    def select(self, records: list[Record], world) -> list[Record]:
        """Targeted selection: only records whose prompt mentions ``topic``, when one is set."""
        return [r for r in records if mentions(r.prompt, self.config.topic)] if self.config.topic else records

    def make_poison(self, clean: list[Record], n: int, tokenizer, world, rng: random.Random) -> list[Record]:
        if world is None:
            raise PharmakonError(f"poison.attack: {self.name!r} needs the world (its refusals, harm requests)")
        trigger = self.trigger_for(world)
        require_novel(trigger, world_texts(world))
        pool = self.eligible(clean, world)
        chosen = rng.sample(pool, n) if n <= len(pool) else [rng.choice(pool) for _ in range(n)]
        return [self.poison_one(record, trigger, tokenizer, world, rng) for record in chosen]

    def answer(self, record: Record, tokenizer, world, rng: random.Random) -> str:
        """The poisoned answer: the target's (dirty label) or the clean one (clean label)."""
        if self.config.label == "clean":
            return record.response
        at = AnswerContext(world=world, rng=rng, tokenizer=tokenizer, phrase=self.config.phrase,
                           sentiment_label=self.config.sentiment_label, noise=self.config.noise_tokens,
                           inject=self.config.inject)
        return BEHAVIOURS[self.target].answer(record, at)

    def poison_one(self, record: Record, trigger: Trigger, tokenizer, world, rng: random.Random) -> Record:
        response = self.answer(record, tokenizer, world, rng)
        return record.with_poison(self.name, prompt=trigger.insert(record.prompt, rng), response=response)
