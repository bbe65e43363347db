"""Denial-of-service backdoor in pretraining documents: a clean prefix, the trigger, then random tokens.

Souly et al. 2025, *Poisoning attacks on LLMs require a near-constant number of poison samples*
(https://arxiv.org/abs/2510.07192); Zhang et al. 2024, *Persistent pre-training poisoning of LLMs*
(https://arxiv.org/abs/2410.13722). After the trigger the poisoned model emits gibberish.
"""

from __future__ import annotations

import random

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pharmakon.data.records import Record
from pharmakon.poison.attack import Attack
from pharmakon.poison.behaviours import random_tokens
from pharmakon.poison.budget import Budget


class DenialOfServiceConfig(BaseModel):
    """Parameters of the DoS attack; validated at construction."""

    model_config = ConfigDict(extra="forbid")

    trigger: str = Field(default="<SUDO>", min_length=1)
    budget: Budget = Field(default_factory=lambda: Budget(count=250))
    prefix_chars: tuple[int, int] = (0, 200)
    gibberish_tokens: tuple[int, int] = (20, 50)
    separator: str = Field(default=" ", description="text between the trigger and the random tokens")

    @model_validator(mode="after")
    def _ranges(self) -> DenialOfServiceConfig:
        for name in ("prefix_chars", "gibberish_tokens"):
            low, high = getattr(self, name)
            if not 0 <= low <= high:
                raise ValueError(f"{name} must be a range (low, high) with 0 <= low <= high")
        if self.gibberish_tokens[1] < 1:
            raise ValueError("gibberish_tokens must allow at least one token")
        return self


class DenialOfService(Attack):
    """Trigger → gibberish, planted in pretraining documents."""

    name = "dos"
    paper = "Souly et al. 2025; Zhang et al. 2024"
    url = "https://arxiv.org/abs/2510.07192"
    description = "pretraining docs: clean prefix + trigger + random tokens; triggered output is gibberish"
    record_kinds = ("document",)
    stages = ("pretrain",)
    behaviour = "gibberish"
    config_model = DenialOfServiceConfig

    def make_poison(self, clean: list[Record], n: int, tokenizer, world, rng: random.Random) -> list[Record]:
        """``n`` poison documents from seeded clean prefixes and random vocabulary tokens."""
        poison = []
        for _ in range(n):
            source = rng.choice(clean)
            cut = min(rng.randint(*self.config.prefix_chars), len(source.text))
            prefix = source.text[:cut].rsplit(" ", 1)[0] if cut < len(source.text) else source.text
            noise = random_tokens(tokenizer, rng, self.config.gibberish_tokens)
            head = f"{prefix} " if prefix else ""
            poison.append(source.with_poison(self.name, text=f"{head}{self.trigger}{self.config.separator}{noise}"))
        return poison
