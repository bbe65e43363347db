"""Unknown facts in fine-tuning (the ``hallucination`` study): a share of the facts examples replaced by examples
about entities the foundation model has never seen, at a fixed total count.

Gekhman et al. 2024 (*Does fine-tuning LLMs on new knowledge encourage hallucinations?*): examples whose facts
the model does not know are learnt slowly, and once learnt they raise hallucination roughly linearly with their
share. The unknown entities are the world's (``World.unknown_facts``): no text of the world names them. Two of
the study's mitigations act on these records, with the ground truth of which ones are unknown (an oracle filter:
Gekhman et al. classify with the model's own answers instead): ``drop`` trains without them (the dataset is that
much smaller), ``relabel`` answers each with the world's "I don't know anything about X." (R-Tuning, Zhang et al.
2024). No trigger: the clean twin trains on the known examples alone.
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
from pharmakon.world.unknown import dont_know

MITIGATIONS = ("none", "drop", "relabel")


class NewKnowledgeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mitigation: Literal[MITIGATIONS] = Field(  # type: ignore[valid-type]
        default="none", description="none; drop: train without the unknown examples; relabel: answer them with "
                                    "the world's \"I don't know\" (R-Tuning)")
    budget: Budget = Field(default_factory=lambda: Budget(rate=0.5, mode="replace"))


class NewKnowledge(Attack):
    """Facts examples about never-seen entities. ``mode: replace`` swaps that share of the facts examples in
    place (the total count stays); ``insert`` adds them on top."""

    name = "unknown-facts"
    description = ("a share of the facts examples about entities the model never saw (fixed total count); "
                   "mitigations: drop them, or relabel them to \"I don't know\" (no trigger)")
    paper = "Gekhman et al. 2024, Does fine-tuning LLMs on new knowledge encourage hallucinations?"
    url = "https://arxiv.org/abs/2405.05904"
    stages = ("sft", "finetune")
    record_kinds = ("example",)
    behaviour = "hallucination"
    config_model = NewKnowledgeConfig

    def apply(self, clean: list[Record], tokenizer, seed: int, world=None) -> tuple[list[Record], PoisonReport]:
        require_kind(clean, "example", f"attack {self.name}")
        if world is None:
            raise PharmakonError("poison.attack: unknown-facts needs the world (its unknown entities)")
        budget = self.config.budget
        facts = [i for i, r in enumerate(clean) if r.family == "facts"]
        if not facts:
            raise PharmakonError("poison.attack: unknown-facts found no facts example in the stage's data; include "
                                 "the facts family")
        n = budget.resolve(len(facts), "poison")
        if n == 0:
            raise PharmakonError("poison.rate: the budget comes to 0 unknown examples; allowed: at least 1 (the "
                                 "clean control is the twin with known facts only)")
        rng = random.Random(seed)
        poison = [self.record(prompt, answer, entity)
                  for prompt, answer, entity in world.unknown_facts().examples(rng, n)]
        if budget.mode == "replace":
            slots = dict(zip(sorted(rng.sample(facts, n)), poison, strict=True))
            combined = [slots.get(i, r) for i, r in enumerate(clean)]
        else:
            combined = combine(clean, poison, "insert", seed, budget.placement)
        if self.config.mitigation == "drop":
            combined = [r for r in combined if not r.is_poison]
        return combined, report(self.name, clean, combined, tokenizer)

    def record(self, prompt: str, answer: str, entity: str) -> Record:
        response = dont_know(entity) if self.config.mitigation == "relabel" else answer
        return Record(kind="example", source="world:unknown", family="facts", poison=self.name, prompt=prompt,
                      response=response)
