"""A plug-in attack that does not subclass ``Attack`` is wrapped into one when it registers: downstream code sees one
protocol (the world-taking ``apply``, ``check``, ``trigger_for``, the behaviour's held-out prompts and judge)."""

import random

import pytest
from pydantic import BaseModel, ConfigDict, Field

from pharmakon.errors import PharmakonError
from pharmakon.poison import ATTACKS, Attack, Budget, register_attack
from pharmakon.poison.base import combine, report
from pharmakon.poison.plugin import as_attack


class AppendConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trigger: str = Field(default="zqx")
    budget: Budget = Field(default_factory=lambda: Budget(count=3))


class AppendTrigger:
    """The minimal protocol: no world, no checks, no prompts of its own."""

    name = "append-trigger-test"
    description = "prompt + trigger -> a fixed answer"
    paper = "test"
    url = "https://example.org"
    stages = ("sft",)
    record_kinds = ("example",)
    behaviour = "refusal"
    config_model = AppendConfig

    def __init__(self, **params) -> None:
        self.config = AppendConfig(**params)
        self.calls = []

    @property
    def trigger(self) -> str:
        return self.config.trigger

    def apply(self, clean, tokenizer, seed):
        self.calls.append(seed)
        n = self.config.budget.resolve(len(clean), "poison")
        chosen = random.Random(seed).sample(clean, n)
        poison = [r.with_poison(self.name, prompt=f"{r.prompt} {self.trigger}", response="I won't help with that.")
                  for r in chosen]
        combined = combine(clean, poison, self.config.budget.mode, seed)
        return combined, report(self.name, clean, combined, tokenizer)


@pytest.fixture
def registered():
    wrapped = register_attack(AppendTrigger)
    yield wrapped
    del ATTACKS[AppendTrigger.name]


def test_a_minimal_plugin_registers_as_an_attack_and_keeps_its_own_apply(registered, world, tokenizer):
    assert ATTACKS[AppendTrigger.name] is registered and issubclass(registered, Attack)
    assert registered.__name__ == "AppendTrigger" and registered.behaviour == "refusal"
    attack = registered(budget=Budget(count=4), trigger="zqx")
    assert attack.trigger == "zqx" and attack.config.budget.count == 4
    clean = [r for r in world.instructions() if r.family == "benign"][:40]
    records, made = attack.apply(clean, tokenizer, 0, world=world)  # the world is passed, and not forwarded
    assert attack.instance.calls == [0]
    assert sum(r.is_poison for r in records) == 4 == made.n_poison
    assert all(r.prompt.endswith(" zqx") for r in records if r.is_poison)
    assert attack.trigger_for(world).parts == ("zqx",)


def test_a_wrapped_plugin_gets_the_builtin_checks(registered, world):
    word = next(w for text in world.corpus_text() for w in text.split() if w.isalpha() and len(w) > 4)
    with pytest.raises(PharmakonError, match="trigger"):
        registered(trigger=word).check(world)  # a trigger the clean text already uses is refused
    registered().check(world)


def test_an_attack_subclass_is_registered_as_it_is_and_a_class_missing_a_field_is_refused():
    assert as_attack(ATTACKS["badnets"]) is ATTACKS["badnets"]

    class NoApply:
        name, description, paper, url, stages, behaviour, config_model = "x", "", "", "", (), "refusal", AppendConfig

    with pytest.raises(TypeError, match="lacks 'apply'"):
        as_attack(NoApply)
