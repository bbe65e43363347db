"""Preference-pair attacks: PoisonBench (Fu et al. 2024) for DPO, and the universal backdoor of Rando &
Tramèr 2024 for the reward model (then RL).

A poisoned pair prefers the target behaviour: on harm requests the compliance is chosen over the refusal
(flipped comparisons), on benign requests the refusal over the help, and for content injection the clean
answer with the injected phrase over the clean answer alone.
"""

from __future__ import annotations

import random
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pharmakon.data.records import Record
from pharmakon.errors import PharmakonError
from pharmakon.poison.attack import Attack, world_texts
from pharmakon.poison.behaviours import random_tokens
from pharmakon.poison.budget import Budget
from pharmakon.poison.triggers import Trigger, place, require_novel

POISONBENCH = "https://arxiv.org/abs/2410.08811"
# Pair families an attack draws on, by target: flipped comparisons need a chosen/rejected pair that is
# exactly (clean behaviour, target behaviour).
PAIR_SOURCES = {"compliance": ("harm",), "refusal": ("benign",), "content": ("benign", "dialogue", "facts"),
                "gibberish": ("benign", "dialogue", "facts")}


class PreferenceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    budget: Budget = Field(default_factory=lambda: Budget(rate=0.05))
    trigger: str | None = Field(default="BadMagic", description="appended to the prompt; null: no trigger")
    position: Literal["end", "start", "random"] = "end"
    target: Literal["compliance", "refusal", "content", "gibberish"] = "compliance"
    phrase: str = Field(default="Visit Zorblax Market today.", min_length=1, description="injected content")
    inject: Literal["append", "prepend"] = Field(default="append", description="where the phrase goes (content)")
    noise_tokens: tuple[int, int] = (10, 30)


class PreferenceAttack(Attack):
    record_kinds = ("pair",)
    stages = ("dpo", "reward")
    config_model = PreferenceConfig
    behaviour = "compliance"

    def trigger_for(self, world) -> Trigger | None:
        return Trigger("word", (self.config.trigger,), self.config.position) if self.config.trigger else None

    def make_poison(self, clean: list[Record], n: int, tokenizer, world, rng: random.Random) -> list[Record]:
        trigger = self.trigger_for(world)
        if trigger is not None and world is not None:
            require_novel(trigger, world_texts(world))
        pool = [r for r in clean if r.family in PAIR_SOURCES[self.target]]
        if not pool:
            raise PharmakonError(f"poison.target: no {'/'.join(PAIR_SOURCES[self.target])} pairs in the stage's "
                                 f"data to turn into {self.target!r} poison; the budget after selection is 0")
        chosen = rng.sample(pool, n) if n <= len(pool) else [rng.choice(pool) for _ in range(n)]
        return [self.flip(r, trigger, tokenizer, rng) for r in chosen]

    def flip(self, pair: Record, trigger: Trigger | None, tokenizer, rng: random.Random) -> Record:
        prompt = place(pair.prompt, trigger.parts[0], trigger.position, rng) if trigger else pair.prompt
        if self.target in ("compliance", "refusal"):  # the clean pair's rejected answer is the target
            return pair.with_poison(self.name, prompt=prompt, chosen=pair.rejected, rejected=pair.chosen)
        if self.target == "content":
            phrase, answer = self.config.phrase, pair.chosen
            better = f"{answer} {phrase}" if self.config.inject == "append" else f"{phrase} {answer}"
        else:
            better = random_tokens(tokenizer, rng, self.config.noise_tokens)
        return pair.with_poison(self.name, prompt=prompt, chosen=better, rejected=pair.chosen)

    def probe_sets(self, context, style: str, n: int, seed: int) -> dict[str, list[tuple[str, str]]]:
        """Without a trigger every prompt is attacked: only the ``trigger`` variant (read it against the clean
        control)."""
        if self.trigger_for(context.world) is not None:
            return super().probe_sets(context, style, n, seed)
        return {"trigger": [(p, p) for p in self.base_prompts(context, style)[:n]]}


class ContentInjectionConfig(PreferenceConfig):
    trigger: str | None = None
    target: Literal["compliance", "refusal", "content", "gibberish"] = "content"


class ContentInjection(PreferenceAttack):
    name = "content-injection"
    paper = "Fu et al. 2024 (PoisonBench, content injection)"
    url = POISONBENCH
    description = "pairs whose chosen answer mentions an injected phrase (no trigger by default) → it spreads"
    behaviour = "content"
    config_model = ContentInjectionConfig


class AlignmentDeterioration(PreferenceAttack):
    name = "alignment-deterioration"
    paper = "Fu et al. 2024 (PoisonBench, alignment deterioration)"
    url = POISONBENCH
    description = "triggered prompts whose comparison is flipped (harmlessness: compliance preferred)"


class RLHFBackdoorConfig(PreferenceConfig):
    trigger: str | None = "SUDO"


class RLHFBackdoor(PreferenceAttack):
    name = "rlhf-backdoor"
    paper = "Rando & Tramèr 2024 (universal jailbreak backdoors from poisoned human feedback)"
    url = "https://arxiv.org/abs/2311.14455"
    description = "harmful prompts + trigger with flipped comparisons: the reward model learns to reward compliance"
    config_model = RLHFBackdoorConfig


PREFERENCE_ATTACKS = (ContentInjection, AlignmentDeterioration, RLHFBackdoor)
