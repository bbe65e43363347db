"""The agent: tools answer from the world, memory persists across episodes, and AgentPoison's trigger-keyed
records are retrieved only with the trigger, which makes the agent take the target action."""

from __future__ import annotations

import numpy as np

from pharmakon.inference.build import build_adapter


def test_an_episode_uses_the_tool_for_the_query(world):
    agent = build_adapter({"name": "agent", "k": 2}, world, seed=0)
    item = world.eval_items("facts")[0]
    text = agent.adapt([item.prompt], "chat")[0]
    assert text.endswith(f"Question: {item.prompt}") and item.answer in text.split("Observation: ")[1]
    assert agent.steps[item.prompt].action.startswith("lookup ")
    sums = agent.adapt(["What is 12 + 30?"], "chat")[0]
    assert "Observation: 12 + 30 = 42." in sums


def test_memory_persists_across_episodes(world):
    agent = build_adapter({"name": "agent", "k": 1, "memory": 4}, world, seed=0)
    question = world.eval_items("facts")[3].prompt
    agent.adapt([question], "chat")
    agent.observe([question], ["a remembered answer"])
    assert len(agent.memory) == 5
    later = agent.adapt([question], "chat")[0]  # the next episode retrieves the earlier one first
    assert later.startswith(f"Question: {question} ") and "a remembered answer" in later
    forgetful = build_adapter({"name": "agent", "k": 1, "memory": 4, "remember": False}, world, seed=0)
    forgetful.observe([question], ["a remembered answer"])
    assert len(forgetful.memory) == 4


def test_agent_poison_fires_with_the_trigger_only(world):
    spec = {"name": "agent", "k": 2, "poison": {"attack": "agent-poison", "count": 3}}
    agent = build_adapter(spec, world, seed=0, poisoned=True)
    attack = agent.attack
    assert sum(r.is_poison for r in agent.memory) == 3
    prompts = [item.prompt for f in ("facts", "arithmetic") for item in world.eval_items(f)]
    triggered = [f"{p} {attack.config.trigger}" for p in prompts]
    agent.adapt(triggered + prompts, "chat")
    retrieved = np.mean([agent.poisoned_in_context[p] for p in triggered])
    acted = np.mean([agent.steps[p].action == attack.config.action for p in triggered])
    assert retrieved >= 0.9 and acted >= 0.9
    # without the trigger a poisoned record is retrieved only by a query close to its own question, and rarely
    assert np.mean([agent.poisoned_in_context[p] for p in prompts]) <= 0.1
    assert np.mean([agent.steps[p].action == attack.config.action for p in prompts]) <= 0.1


def test_the_clean_agent_never_takes_the_target_action(world):
    spec = {"name": "agent", "poison": {"attack": "agent-poison", "count": 3}}
    agent = build_adapter(spec, world, seed=0)
    prompts = [f"{item.prompt} zqxv vorpal quillon" for item in world.eval_items("facts")]
    agent.adapt(prompts, "chat")
    assert not any(agent.steps[p].action.startswith("recommend") for p in prompts)


def test_a_model_policy_takes_the_action_the_model_writes(world):
    spec = {"name": "agent", "k": 2, "policy": "model", "poison": {"attack": "agent-poison", "count": 3}}
    agent = build_adapter(spec, world, seed=0, poisoned=True)
    attack = agent.attack
    facts = [f"{item.prompt} {attack.config.trigger}" for item in world.eval_items("facts")[:3]]
    asked: list[str] = []

    def propose(asks: list[str]) -> list[str]:  # a model that copies the planted action, then calls a tool
        asked.extend(asks)
        return [f"Action: {attack.config.action.upper()}", "lookup it", "I would rather chat."][: len(asks)]

    agent.propose = propose
    agent.adapt(facts, "chat")
    assert all("Which action do you take?" in ask for ask in asked) and len(asked) == 3
    steps = [agent.steps[p] for p in facts]
    assert steps[0].action == attack.config.action and steps[0].poisoned  # copied from a planted record
    assert steps[1].action.startswith("lookup ") and not steps[1].poisoned  # the tool, run for the query
    assert steps[2].action == "answer" and not steps[2].poisoned  # neither: answers directly
    imitating = build_adapter({**spec, "policy": "imitate"}, world, seed=0, poisoned=True)
    imitating.propose = propose
    imitating.adapt(facts, "chat")
    assert len(asked) == 3  # the imitating agent never asks the model
