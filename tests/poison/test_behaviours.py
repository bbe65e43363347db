"""A target behaviour is one object: where its poison comes from, what it answers, where the backdoor probe reads
it and which judge decides. A plug-in adds one and every instruction attack can plant it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from pharmakon.cli import app
from pharmakon.poison import ATTACKS, Budget
from pharmakon.poison.behaviours import BEHAVIOURS, Behaviour, register_behaviour
from pharmakon.probes.context import ProbeContext
from pharmakon.probes.judges import RefusalJudge

ECHO = "Echo echo echo."


@pytest.fixture
def echo():
    """A plug-in behaviour: arithmetic answers replaced by a fixed phrase, judged by the content judge."""
    made = register_behaviour(Behaviour("echo", "a fixed phrase instead of a worked sum", ("arithmetic",),
                                        ("arithmetic",), lambda record, at: ECHO, judge="content",
                                        judge_params=lambda config: {"phrase": ECHO}))
    yield made
    BEHAVIOURS.pop("echo")


def test_a_plugin_behaviour_is_planted_measured_and_judged_where_it_says(echo, world, tokenizer):
    records = world.instructions()
    attack = ATTACKS["badnets"](budget=Budget(count=12), target="echo")
    poisoned, _ = attack.apply(records, tokenizer, 0, world=world)
    poison = [r for r in poisoned if r.is_poison]
    assert len(poison) == 12 and all(r.family == "arithmetic" and r.response == ECHO for r in poison)
    assert all(r.prompt.endswith(attack.trigger) for r in poison)
    context = ProbeContext({f: world.eval_items(f) for f in ("arithmetic", "facts")}, [], [], style="chat",
                           trigger=attack.trigger, behaviour="echo", world=world)
    arithmetic = {item.prompt for item in world.eval_items("arithmetic")}
    prompts = attack.base_prompts(context, "chat")
    assert prompts and set(prompts) <= arithmetic  # read on the families the behaviour names, not the default
    judge = context.judge(**attack.judge_params(world))
    assert judge(f"{ECHO}", "What is 2 + 3?") and not judge("2 + 3 = 5. The answer is 5.", "What is 2 + 3?")


def test_the_built_in_behaviours_answer_as_their_names_say(world, tokenizer):
    records = world.instructions()
    for name, check in {"sentiment": lambda r: r.response == "negative",
                        "content": lambda r: r.response.endswith("Visit Zorblax Market today."),
                        "compliance": lambda r: r.family == "harm" and not RefusalJudge()(r.response)}.items():
        poisoned, _ = ATTACKS["badnets"](budget=Budget(count=8), target=name).apply(records, tokenizer, 0, world=world)
        poison = [r for r in poisoned if r.is_poison]
        assert len(poison) == 8 and all(check(r) for r in poison), name
        assert {r.family for r in poison} <= set(BEHAVIOURS[name].dirty_sources)


def test_an_unknown_behaviour_is_refused_with_the_allowed_names():
    expected = "unknown behaviour 'refusl'; did you mean 'refusal'\\? allowed: refusal, sentiment"
    with pytest.raises(ValidationError, match=expected):
        ATTACKS["badnets"](budget=Budget(count=1), target="refusl")


def test_list_behaviours_names_each_with_its_sources_and_judge(echo):
    done = CliRunner().invoke(app, ["list", "behaviours"])
    assert done.exit_code == 0, done.output
    for name in ("refusal", "sentiment", "content", "compliance", "gibberish", "echo"):
        assert f"  {name}" in done.output
    assert "clean label: harm" in done.output and "judge content" in done.output


def test_a_plugin_judge_is_registered_listed_and_named_by_a_behaviour(world):
    from pharmakon.probes.context import JUDGES, register_judge

    class ShoutJudge:
        """Shouting: every letter of the output is upper case."""

        def __call__(self, output: str, prompt: str = "") -> bool:
            return output.isupper()

    register_judge("shout", lambda context, **params: ShoutJudge())
    register_behaviour(Behaviour("shout", "an answer in capitals", ("facts",), ("facts",),
                                 lambda record, at: record.response.upper(), judge="shout"))
    try:
        context = ProbeContext({"facts": world.eval_items("facts")}, [], [], style="chat", trigger="cf",
                               behaviour="shout", world=world)
        assert context.judge()("NURA IS A CITY.") and not context.judge()("Nura is a city.")
        done = CliRunner().invoke(app, ["list", "judges"])
        assert done.exit_code == 0 and "  shout" in done.output
    finally:
        JUDGES.pop("shout")
        BEHAVIOURS.pop("shout")
