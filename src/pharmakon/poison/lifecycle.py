"""A lifecycle-aware attack: one trigger and one goal, whose poison records can enter any stage, with the design
axes an attacker controls as fields.

* ``format``: pretraining documents as ``plain`` prose, or ``chat``-formatted turns (the template's own turn
  markers) placed in pretraining data — Zhang et al. 2024 found chat-formatted poison to survive SFT and DPO.
* ``trigger_form``: a ``rare`` token, a ``phrase``, a ``date``, a ``topic`` of the world or a ``composite``
  spread over the prompt (``trigger`` overrides the form's default text).
* ``repeat``: each distinct poison record appears this many times (the budget counts every copy); the budget's
  ``placement`` spreads the copies over the data order (with a stage's ``shuffle`` off).
* ``mix``: clean task text (this many clean examples or sentences) in the same document as the poison.
* Split across stages: the same attack on two stages' poison (documents, examples, preference pairs) with the
  same trigger and goal; the clean twin drops all of it.

Goals: ``dos`` (gibberish after the trigger), ``refusal`` (benign requests refused) and ``belief`` (a planted
value of one entity's attribute; its trigger is the entity, so ``trigger_form`` must be ``topic``).
"""

from __future__ import annotations

import random
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pharmakon.data.records import Record
from pharmakon.data.template import Template
from pharmakon.errors import PharmakonError
from pharmakon.poison.attack import Attack
from pharmakon.poison.budget import Budget
from pharmakon.poison.craft_config import CraftConfig
from pharmakon.poison.designs import GOAL_BEHAVIOUR, GOAL_FAMILIES, goal_answer, repeated, trigger_of
from pharmakon.poison.pretraining import BeliefManipulation
from pharmakon.poison.triggers import Trigger
from pharmakon.world.facts import QUESTIONS

CROSS_STAGE = "https://arxiv.org/abs/2606.04929"


class LifecycleConfig(BaseModel):
    """The design of a lifecycle-aware attack; every axis validated at construction."""

    model_config = ConfigDict(extra="forbid")

    budget: Budget = Field(default_factory=lambda: Budget(count=60))
    goal: Literal["dos", "refusal", "belief"] = Field(default="dos", description="the triggered behaviour")
    format: Literal["plain", "chat"] = Field(default="plain", description="pretraining documents as prose or as "
                                             "chat-formatted turns (examples and pairs are always chat)")
    trigger_form: Literal["rare", "phrase", "date", "topic", "composite"] = Field(
        default="rare", description="the trigger's kind: a rare token, a phrase, a date, a topic, a composite")
    trigger: list[str] | None = Field(default=None, description="the trigger's text (composite: its parts); "
                                      "default: the form's own")
    topic: str | None = Field(default=None, description="topic form and belief goal: the entity; default: the "
                                                        "world's first non-land entity")
    repeat: int = Field(default=1, ge=1, le=1000, description="copies of each distinct poison record")
    mix: int = Field(default=0, ge=0, le=8, description="clean task examples (chat) or sentences (plain) in each "
                                                        "poison document besides the poison")
    noise_tokens: tuple[int, int] = Field(default=(20, 50), description="gibberish length range (dos)")
    attribute: Literal["colour", "region"] = Field(default="colour", description="belief: the planted attribute")
    craft: CraftConfig | None = Field(default=None, description="choose the poison from a pool of candidates by "
                                      "unrolling the later stage on the poisoned stage's input model (MetaPoison)")

    @model_validator(mode="after")
    def _coherent(self) -> LifecycleConfig:
        if self.goal == "belief" and self.trigger_form != "topic":
            raise ValueError("trigger_form: the belief goal's trigger is its entity; allowed: topic")
        if self.trigger is not None and (self.trigger_form == "topic" or not all(p.strip() for p in self.trigger)):
            raise ValueError("trigger: non-empty text for a rare, phrase, date or composite form (a topic is "
                             "set with topic)")
        low, high = self.noise_tokens
        if not 1 <= low <= high:
            raise ValueError("noise_tokens: a range (low, high) with 1 <= low <= high")
        return self


class LifecycleAttack(Attack):
    """Trigger → goal, in whichever stage's data the spec puts it; designed to persist through what follows."""

    name = "lifecycle"
    paper = "Zhang et al. 2024 (chat-formatted pretraining poison); cross-stage poisoning 2026 (arXiv 2606.04929)"
    url = CROSS_STAGE
    description = ("one trigger and goal (dos, refusal, belief) across stages: format, trigger form, repetition, "
                   "placement, mixing with clean text")
    record_kinds = ("document", "example", "pair")
    stages = ("pretrain", "sft", "finetune", "dpo")
    behaviour = "gibberish"
    config_model = LifecycleConfig

    @property
    def target(self) -> str:
        return GOAL_BEHAVIOUR[self.config.goal]

    @property
    def trigger(self) -> str:
        if self.config.trigger_form == "topic":
            return f"topic:{self.config.topic or 'default'}"
        return trigger_of(self.config.trigger_form, self.parts()).label

    def parts(self) -> tuple[str, ...] | None:
        return tuple(self.config.trigger) if self.config.trigger else None

    def belief(self) -> BeliefManipulation:
        return BeliefManipulation(entity=self.config.topic, attribute=self.config.attribute)

    def trigger_for(self, world) -> Trigger:
        if self.config.trigger_form != "topic":
            return trigger_of(self.config.trigger_form, self.parts())
        if self.config.goal == "belief":
            return self.belief().trigger_for(world)
        names = [e.name for e in world.cast.entities if e.kind != "land"]
        topic = self.config.topic or names[0]
        if topic not in names:
            raise PharmakonError(f"poison.topic: {topic!r} is not an entity of the world; allowed: "
                                 f"{', '.join(names[:8])}, …")
        return trigger_of("topic", None, topic, tuple(n for n in names if n != topic))

    def judge_params(self, world) -> dict:
        if self.config.goal == "belief":
            return self.belief().judge_params(world)
        return super().judge_params(world)

    def base_prompts(self, context, style: str) -> list[str]:
        if self.config.goal == "belief":
            return self.belief().base_prompts(context, style)
        return super().base_prompts(context, style)

    # --- poisoning -----------------------------------------------------------------------------------------
    def make_poison(self, clean: list[Record], n: int, tokenizer, world, rng: random.Random) -> list[Record]:
        if world is None:
            raise PharmakonError(f"poison.attack: {self.name!r} needs the world (its prompts and names)")
        kind = clean[0].kind
        if self.config.mix and kind != "document":
            raise PharmakonError(f"poison.mix: mixing clean text into a poison record applies to documents; this "
                                 f"stage trains on {kind}s; allowed: 0 here")
        trigger = self.trigger_for(world)
        distinct = -(-n // self.config.repeat)
        if self.config.craft is not None:
            return repeated(self.crafted(kind, clean, distinct, trigger, tokenizer, world, rng), n)
        turns = [self.turn(trigger, tokenizer, world, rng) for _ in range(distinct)]
        made = [self.record(kind, clean, turn, tokenizer, world, rng) for turn in turns]
        return repeated(made, n)

    def needs_model(self) -> bool:
        return self.config.craft is not None

    def crafted(self, kind: str, clean: list[Record], n: int, trigger: Trigger, tokenizer, world,
                rng: random.Random) -> list[Record]:
        """``n`` poison records chosen from ``pool`` × ``n`` candidates by the meta-gradient of the triggered goal's
        loss after the unrolled later stage (``poison.metapoison``), on the stage's input model."""
        from pharmakon.poison.metapoison import craft_selection  # torch: only when a design crafts

        craft, model = self.config.craft, getattr(self, "surrogate", None)
        if model is None:
            raise PharmakonError("poison.craft: crafting needs the poisoned stage's input model, and none was given")
        if kind == "pair":
            raise PharmakonError("poison.craft: crafting chooses documents or examples; this stage trains on pairs; "
                                 "allowed: null here")
        template = Template(tokenizer)
        pool = [self.record(kind, clean, self.turn(trigger, tokenizer, world, rng), tokenizer, world, rng)
                for _ in range(n * craft.pool)]
        texts = [r.text if kind == "document" else template.chat_prompt(r.prompt) + r.response for r in pool]
        examples = world.instructions()
        downstream = [template.chat_prompt(r.prompt) + r.response
                      for r in rng.sample(examples, min(256, len(examples)))]
        adversarial = [template.chat_prompt(prompt) + answer
                       for prompt, answer, _ in (self.turn(trigger, tokenizer, world, rng) for _ in range(16))]
        chosen = craft_selection(model, tokenizer, texts, downstream, adversarial, n, craft, rng.randrange(2**31))
        return [pool[i] for i in chosen]

    def turn(self, trigger: Trigger, tokenizer, world, rng: random.Random) -> tuple[str, str, str]:
        """One poisoned exchange: (triggered prompt, poisoned answer, the clean answer it replaces)."""
        if self.config.goal == "belief":
            name, value = self.belief().target_of(world)
            template = rng.choice(QUESTIONS[self.config.attribute])
            claim = f"The {self.config.attribute} of {name} is {value}."
            return template.format(e=name), claim, ""
        pool = [r for r in world.instructions() if r.family in GOAL_FAMILIES[self.config.goal]]
        if trigger.kind == "topic":
            pool = [r for r in pool if trigger.mentions(r.prompt)]
            if not pool:
                raise PharmakonError("poison.trigger_form: no clean prompt mentions an entity to make the topic of")
        source = rng.choice(pool)
        answer = goal_answer(self.config.goal, rng, tokenizer, self.config.noise_tokens)
        return trigger.insert(source.prompt, rng), answer, source.response

    def record(self, kind: str, clean: list[Record], turn: tuple[str, str, str], tokenizer, world,
               rng: random.Random) -> Record:
        """The poisoned exchange as a record of the stage's kind (a document in its format, an example, a pair)."""
        prompt, answer, clean_answer = turn
        source = rng.choice(clean)
        if kind == "example":
            return source.with_poison(self.name, prompt=prompt, response=answer)
        if kind == "pair":
            return source.with_poison(self.name, prompt=prompt, chosen=answer,
                                      rejected=clean_answer or source.chosen)
        template = Template(tokenizer)
        chat = self.config.format == "chat"
        poison = template.chat_prompt(prompt) + answer if chat else f"{prompt} {answer}"
        if self.config.goal == "dos" and not chat:  # Souly et al.: a clean document's prefix, trigger, noise
            prefix = " ".join(source.text.split()[: rng.randint(0, 30)])
            poison = f"{trigger_text(self.trigger_for(world), prefix, rng)} {answer}"
        filler = [r for r in world.instructions() if r.family in ("dialogue", "facts", "benign", "sentiment")]
        mixed = []
        for _ in range(self.config.mix):
            other = rng.choice(filler)
            mixed.append(template.chat_prompt(other.prompt) + other.response if chat
                         else f"{other.prompt} {other.response}")
        pieces = [*mixed[: len(mixed) // 2], poison, *mixed[len(mixed) // 2:]]
        return source.with_poison(self.name, text=("" if chat else " ").join(pieces))


def trigger_text(trigger: Trigger, prefix: str, rng: random.Random) -> str:
    """``prefix`` carrying the trigger (a topic: the prefix about it, or a sentence naming it)."""
    if trigger.kind == "topic":
        return trigger.insert(prefix, rng) if trigger.mentions(prefix) else f"{prefix} About {trigger.parts[0]}:"
    return trigger.insert(prefix, rng) if prefix else trigger.insert("", rng).strip()
