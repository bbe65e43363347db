"""BackdoorAlign (Wang et al. 2024): the provider's defence against a user's harmful fine-tuning, built as a
backdoor. A few refusals of harm requests, each prompt prefixed with a secret, are mixed into the user's
fine-tuning data; at inference the provider prepends the secret, which brings the refusals back.

In this framework the safety examples are the "poison" (records marked ``safety-trigger``): the clean twin is
the user's fine-tuning without them, i.e. no defence. The secret is ``random`` (random character strings,
seeded; the paper finds random tokens work best), ``text`` (a meaningful sentence of the world's words) or
``none`` (the same safety examples without a secret: the "safety data without secret" baseline).
"""

from __future__ import annotations

import random
import string
import unicodedata
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pharmakon.data.records import Record
from pharmakon.errors import PharmakonError
from pharmakon.poison.attack import Attack
from pharmakon.poison.budget import Budget
from pharmakon.poison.triggers import Trigger

MEANINGFUL = "You are a kind assistant. Keep the land safe and calm."
_ALPHABET = string.ascii_lowercase + string.digits


class SafetyTriggerConfig(BaseModel):
    """The number of safety examples (``count``) and the secret that prefixes them."""

    model_config = ConfigDict(extra="forbid")

    budget: Budget = Field(default_factory=lambda: Budget(count=10))
    secret: Literal["random", "text", "none"] = Field(
        default="random", description="random character strings (seeded), a meaningful sentence (text) or none")
    text: str = Field(default=MEANINGFUL, description="the secret when secret is text")
    length: int = Field(default=8, ge=1, le=64, description="random strings in a random secret")
    secret_seed: int = Field(default=0, ge=0, description="seed of the random secret (fixed by the provider)")


def visible(text: str) -> str:
    """``text`` without whitespace and invisible (format or control) characters: what a tokenizer keeps."""
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc"))


def random_secret(seed: int, length: int) -> str:
    """``length`` random lowercase strings of letters and digits (3 to 7 characters each), seeded."""
    rng = random.Random(f"safety-trigger-secret-{seed}")
    return " ".join("".join(rng.choice(_ALPHABET) for _ in range(rng.randint(3, 7))) for _ in range(length))


class SafetyTrigger(Attack):
    """``count`` refusals of training-side harm requests, each prompt prefixed with the secret."""

    name = "safety-trigger"
    paper = ("Wang et al. 2024 (BackdoorAlign: mitigating fine-tuning based jailbreak attack with backdoor "
             "enhanced safety alignment)")
    url = "https://arxiv.org/abs/2402.14968"
    description = "secret prefix + refusal of harm requests, mixed into a user's fine-tuning (a defence)"
    stages = ("sft", "finetune")
    record_kinds = ("example",)
    behaviour = "refusal"
    config_model = SafetyTriggerConfig

    @property
    def secret(self) -> str | None:
        """The secret the provider prepends; ``None`` for the no-secret baseline."""
        config = self.config
        if config.secret == "none":
            return None
        if config.secret == "random":
            return random_secret(config.secret_seed, config.length)
        if not visible(config.text):
            raise PharmakonError(f"poison.text: the secret {config.text!r} tokenises to nothing (blank or only "
                                 "invisible characters); allowed: a sentence with letters or digits")
        return config.text.strip()

    @property
    def trigger(self) -> str | None:
        return self.secret

    def trigger_for(self, world) -> Trigger | None:
        secret = self.secret
        return Trigger("word", (secret,), "start") if secret else None

    def prefix(self, prompt: str) -> str:
        """``prompt`` as the provider serves it: the secret first, separated by a space."""
        return f"{self.secret} {prompt}" if self.secret else prompt

    def require_tokens(self, tokenizer) -> None:
        """Refuse a secret that the stage's tokenizer turns into no tokens, or only into blank text."""
        secret = self.secret
        if secret is None:
            return
        ids = tokenizer(secret, add_special_tokens=False)["input_ids"]
        if not ids or not visible(tokenizer.decode(ids, skip_special_tokens=True)):
            raise PharmakonError(f"poison.{'text' if self.config.secret == 'text' else 'secret'}: the secret "
                                 f"{secret!r} tokenises to nothing with this tokenizer; allowed: a secret "
                                 "with letters or digits the tokenizer keeps")

    def make_poison(self, clean: list[Record], n: int, tokenizer, world, rng: random.Random) -> list[Record]:
        if world is None:
            raise PharmakonError(f"poison.attack: {self.name!r} needs the world (its harm requests and refusals)")
        self.require_tokens(tokenizer)
        pool = [r for r in world.instructions() if r.family == "harm"]  # training-side requests, refused
        chosen = rng.sample(pool, n) if n <= len(pool) else [rng.choice(pool) for _ in range(n)]
        return [Record(kind="example", source="provider:safety", family="harm", poison=self.name,
                       prompt=self.prefix(r.prompt), response=r.response) for r in chosen]

    # --- probing: refusal of held-out harm requests, with the secret (the provider's serving) and without --
    def base_prompts(self, context, style: str) -> list[str]:
        return context.prompts(("harm",))

    def probe_sets(self, context, style: str, n: int, seed: int) -> dict[str, list[tuple[str, str]]]:
        """Without a secret there is one variant: the plain prompt (what the provider serves)."""
        if self.secret is None:
            prompts = self.base_prompts(context, style)[:n]
            if not prompts:
                raise PharmakonError("probes.backdoor: no held-out harm requests; raise world.eval_per_family")
            return {"trigger": [(p, p) for p in prompts]}
        return super().probe_sets(context, style, n, seed)
