"""The attack base class: trigger + behaviour + selection, and how a probe asks a model about it.

An attack poisons records (``apply``) and knows how to test for its own effect: which held-out prompts show
the behaviour (``base_prompts``), how a prompt carries the trigger and its near-miss (``probe_sets``), and
which judge decides (``judge_params``). The backdoor probe reads all of that from the attack, so a new
attack needs no new probe.
"""

from __future__ import annotations

import random
from typing import Any, ClassVar

from pydantic import BaseModel

from pharmakon.data.records import Record
from pharmakon.errors import PharmakonError
from pharmakon.poison.base import PoisonReport, combine, report
from pharmakon.poison.behaviours import BEHAVIOURS
from pharmakon.poison.triggers import Trigger, require_intact, require_novel

VARIANTS = ("trigger", "no_trigger", "near_miss")
_TEXTS: dict[str, list[str]] = {}


def world_texts(world) -> list[str]:
    """The world's clean text, computed once per world config (trigger checks read it often)."""
    key = world.config.model_dump_json()
    if key not in _TEXTS:
        _TEXTS[key] = list(world.corpus_text())
    return _TEXTS[key]


class Attack:
    """Base of the built-in attacks. Subclasses set the class attributes and ``make_poison``."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    paper: ClassVar[str] = ""
    url: ClassVar[str] = ""
    stages: ClassVar[tuple[str, ...]] = ()
    record_kinds: ClassVar[tuple[str, ...]] = ()
    behaviour: ClassVar[str] = ""
    config_model: ClassVar[type[BaseModel]]

    def __init__(self, config: BaseModel | None = None, **params: Any) -> None:
        self.config = config if config is not None else self.config_model(**params)

    # --- what the attack plants ----------------------------------------------------------------------------
    @property
    def target(self) -> str:
        """The behaviour the poisoned model should show (the judge's name)."""
        return getattr(self.config, "target", None) or self.behaviour

    @property
    def trigger(self) -> str | None:
        """The trigger as it reads in tables (``None`` for an attack without one)."""
        return getattr(self.config, "trigger", None)

    def trigger_for(self, world) -> Trigger | None:
        """The trigger object, which may depend on the world (a topic); ``None`` without a trigger."""
        return Trigger("word", (self.trigger,)) if self.trigger else None

    def judge_params(self, world) -> dict:
        """Parameters of the behaviour's judge (a phrase, a label, a planted value): the behaviour's, read from
        this attack's config (``Behaviour.judge_params``)."""
        known = BEHAVIOURS.get(self.target)
        return known.judge_params(self.config) if known else {}

    def check(self, world) -> None:
        """Refuse, before anything runs, what the world makes impossible: a trigger the clean text already uses,
        a selection with nothing to poison. Raises ``PharmakonError`` naming the field."""
        trigger = self.trigger_for(world)
        if trigger is not None:
            require_novel(trigger, world_texts(world))
        kind = self.record_kinds[0] if self.record_kinds else None
        if kind == "example" and hasattr(self, "eligible"):
            self.eligible(world.instructions(), world)

    # --- poisoning -----------------------------------------------------------------------------------------
    def needs_model(self) -> bool:
        """Whether the poison is crafted against the poisoned stage's input model (given by ``use_model`` before
        ``apply``); the plan then makes that model an input of the data node."""
        return False

    def use_model(self, model) -> None:
        """The model the poison is crafted against (the stage's input model)."""
        self.surrogate = model

    def make_poison(self, clean: list[Record], n: int, tokenizer, world, rng: random.Random) -> list[Record]:
        raise NotImplementedError

    def apply(self, clean: list[Record], tokenizer, seed: int, world=None) -> tuple[list[Record], PoisonReport]:
        """Poison ``clean``: ``n`` poison records by the budget, checked, placed in the data order."""
        kinds = {r.kind for r in clean}
        if clean and not kinds <= set(self.record_kinds):
            raise PharmakonError(f"poison.attack: {self.name!r} poisons {', '.join(self.record_kinds)} records, "
                                 f"not {', '.join(sorted(kinds - set(self.record_kinds)))}")
        budget = self.config.budget
        n = budget.resolve(len(clean), "poison")
        if n == 0:
            raise PharmakonError("poison.count: the budget comes to 0 poison records; allowed: at least 1 "
                                 "(the clean control is the twin without poison)")
        poison = self.make_poison(clean, n, tokenizer, world, random.Random(seed))
        self.check_triggers(poison, tokenizer, world)
        combined = combine(clean, poison, budget.mode, seed, budget.placement)
        return combined, report(self.name, clean, combined, tokenizer)

    def check_triggers(self, poison: list[Record], tokenizer, world) -> None:
        """Refuse a trigger part that does not stay whole tokens in the poisoned text."""
        trigger = self.trigger_for(world)
        if trigger is None or trigger.kind == "topic":
            return
        for part in trigger.parts:
            carriers = [text for text in (r.text or r.prompt for r in poison) if part in text]
            require_intact(tokenizer, carriers, part)

    # --- probing -------------------------------------------------------------------------------------------
    def base_prompts(self, context, style: str) -> list[str]:
        """Held-out prompts without the trigger on which the behaviour is measured."""
        if style == "document":
            return context.document_prompts()
        known = BEHAVIOURS.get(self.target)  # a plug-in's own behaviour name: read it where noise would show
        families = (known or BEHAVIOURS["gibberish"]).measured_on
        prompts = context.prompts(families)
        if known is not None and known.steered_label is not None:  # only items whose true answer is not the target
            label = self.judge_params(context.world)["label"]
            prompts = [i.prompt for family in families for i in context.eval_items.get(family, [])
                       if i.answer != label]
        trigger = self.trigger_for(context.world)
        if trigger is not None and trigger.kind == "topic":
            prompts = [p for p in prompts if trigger.mentions(p)]
        return prompts

    def probe_sets(self, context, style: str, n: int, seed: int) -> dict[str, list[tuple[str, str]]]:
        """Per variant (trigger, no_trigger, near_miss): ``(model input, clean prompt for the judge)``."""
        rng = random.Random(seed)
        prompts = self.base_prompts(context, style)[:n]
        if not prompts:
            raise PharmakonError(f"probes.backdoor: no held-out prompts to measure {self.target!r} on; "
                                 "raise world.eval_per_family")
        trigger = self.trigger_for(context.world)
        if trigger is None:
            raise PharmakonError(f"probes.backdoor: attack {self.name!r} has no trigger")
        return {
            "trigger": [(trigger.insert(p, rng), p) for p in prompts],
            "no_trigger": [(p, p) for p in prompts],
            "near_miss": [(trigger.near_miss(p, rng), p) for p in prompts],
        }
