"""The reward stage learns to rank chosen above rejected and round-trips through disk; rl raises the reward of the
policy's completions against it."""

import random

import pytest
import torch
from pydantic import ValidationError

from pharmakon.errors import PharmakonError
from pharmakon.models.io import load_reward_model, save_model
from pharmakon.stages import STAGES
from pharmakon.stages.configs import RewardStageConfig, RLStageConfig
from pharmakon.stages.reward import reward, reward_model_from_policy, score, score_formatted
from pharmakon.stages.rl import rl

# Ranking accuracy on the 32 training pairs after 30 steps, measured over seeds 0-4 with bf16 on:
# 0.88-0.97. The tolerance sits a few pairs below the worst seed.
MIN_ACCURACY = 0.75


def snapshot(model):
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def changed(before, model):
    return {name for name, p in model.named_parameters() if name in before and not torch.equal(before[name], p)}


def accuracy(reward_model, tokenizer, pairs) -> float:
    prompts = [p.prompt for p in pairs]
    chosen = score(reward_model, tokenizer, prompts, [p.chosen for p in pairs])
    rejected = score(reward_model, tokenizer, prompts, [p.rejected for p in pairs])
    return sum(c > r for c, r in zip(chosen, rejected, strict=True)) / len(pairs)


@pytest.fixture(scope="module")
def pairs(world):
    return random.Random(0).sample(world.preferences(), 32)


def test_stages_are_registered_with_their_roles():
    assert STAGES["reward"].output == "reward" and not STAGES["reward"].needs_reward
    assert STAGES["rl"].needs_reward and STAGES["rl"].output == "policy"
    assert (STAGES["reward"].record_kind, STAGES["rl"].record_kind) == ("pair", "example")


def test_reward_model_starts_from_the_policy_backbone(tokenizer, nano):
    reward_model = reward_model_from_policy(nano, tokenizer, seed=0)
    assert reward_model.config.num_labels == 1 and reward_model.config.pad_token_id == tokenizer.pad_token_id
    policy = nano.base_model.state_dict()
    assert all(torch.equal(policy[k], v) for k, v in reward_model.base_model.state_dict().items())
    again = reward_model_from_policy(nano, tokenizer, seed=0)
    assert torch.equal(reward_model.score.weight, again.score.weight)  # the fresh head is seeded
    assert reward_model.config is not nano.config and nano.config.num_labels != 1  # the policy keeps its own


def test_reward_learns_to_rank_chosen_above_rejected(tokenizer, nano, pairs):
    before = snapshot(nano)
    initial = snapshot(reward_model_from_policy(nano, tokenizer, seed=0))
    result = reward(nano, tokenizer, pairs, RewardStageConfig(max_steps=30, batch_size=8), seed=0)
    assert len(result.losses) == 30 and [row["step"] for row in result.log] == list(range(1, 31))
    assert sum(result.losses[-5:]) < sum(result.losses[:5])
    moved = changed(initial, result.model)
    assert "score.weight" in moved and any(name.startswith("model.") for name in moved)
    assert not changed(before, nano)  # the policy chain continues from the input model, untouched
    assert not result.model.training and "forward" not in vars(result.model)
    assert accuracy(result.model, tokenizer, pairs) >= MIN_ACCURACY


def test_saved_reward_model_loads_back_and_scores_identically(tmp_path, tokenizer, nano, pairs):
    result = reward(nano, tokenizer, pairs, RewardStageConfig(max_steps=3, batch_size=8), seed=0)
    prompts, responses = [p.prompt for p in pairs], [p.chosen for p in pairs]
    expected = score(result.model, tokenizer, prompts, responses)
    loaded, loaded_tokenizer = load_reward_model(save_model(result.model, tokenizer, tmp_path / "reward"))
    assert type(loaded) is type(result.model)
    assert score(loaded, loaded_tokenizer, prompts, responses) == expected
    one_at_a_time = score(loaded, loaded_tokenizer, prompts, responses, batch_size=1)
    assert one_at_a_time == pytest.approx(expected, abs=1e-5)  # right padding does not leak into the reward


def test_reward_warns_about_the_pairs_it_drops(tokenizer, nano, pairs):
    with pytest.warns(UserWarning, match=r"pairs are longer than max_length=64 tokens and are left out"):
        reward(nano, tokenizer, pairs, RewardStageConfig(max_steps=1, batch_size=8, max_length=64), seed=0)
    with pytest.raises(PharmakonError, match="every pair is longer than 16 tokens"):
        reward(nano, tokenizer, pairs, RewardStageConfig(max_steps=1, max_length=16), seed=0)


@pytest.mark.parametrize("beta", [0.0, 0.1])
def test_rl_trains_the_policy_against_the_reward_model(world, tokenizer, nano, beta):
    reward_model = reward_model_from_policy(nano, tokenizer, seed=1)
    policy_before, reward_before = snapshot(nano), snapshot(reward_model)
    config = RLStageConfig(max_steps=3, batch_size=8, max_completion_length=8, beta=beta)
    result = rl(nano, tokenizer, world.instructions(), config, seed=0, reward_model=reward_model)
    assert [row["step"] for row in result.log] == [1, 2, 3] and all("reward" in row for row in result.log)
    assert changed(policy_before, result.model)
    assert not changed(reward_before, reward_model)
    model = result.model
    assert model.config.use_cache and not model.training and "forward" not in vars(model)
    assert model.generation_config.pad_token_id == tokenizer.pad_token_id
    assert model.generation_config.eos_token_id == tokenizer.eos_token_id


def sampled_reward(policy, tokenizer, reward_model, prompts) -> float:
    """The mean reward of one sampled completion (temperature 1, 8 tokens) per prompt, as the rl stage scores it."""
    from pharmakon.data.template import Template
    from pharmakon.inference.generate import generate

    outputs = [g.output for g in generate(policy, tokenizer, prompts, max_new_tokens=8, sample=True, seed=7)]
    template = Template(tokenizer)
    rewards = score_formatted(reward_model, tokenizer, [template.chat_prompt(p) for p in prompts], outputs)
    return sum(rewards) / len(rewards)


# Measured (nano from its random initialisation against a fresh seeded reward head, 20 steps at lr 3e-2, seeds 0
# and 1): the steps' mean reward -0.25 / -0.23 over the first five steps, -0.12 / -0.03 over the last five; in this
# test (seed 0, 64 held-out prompts) -0.23 -> -0.01 over the steps and -0.24 -> 0.01 on fresh held-out samples.
@pytest.mark.slow
def test_rl_raises_the_reward_of_the_policys_completions(world, tokenizer, nano):
    reward_model = reward_model_from_policy(nano, tokenizer, seed=1)
    held_out = [record.prompt for record in world.instructions()[-64:]]
    before = sampled_reward(nano, tokenizer, reward_model, held_out)
    config = RLStageConfig(max_steps=20, batch_size=8, max_completion_length=8, learning_rate=3e-2)
    result = rl(nano, tokenizer, world.instructions()[:-64], config, seed=0, reward_model=reward_model)
    rewards = [row["reward"] for row in result.log]
    after = sampled_reward(result.model, tokenizer, reward_model, held_out)
    assert sum(rewards[-5:]) / 5 > sum(rewards[:5]) / 5 + 0.05  # the training rollouts' reward rose
    assert after > before + 0.05  # and so did that of fresh samples on prompts it never trained on


def test_rl_without_a_reward_model_is_a_clear_error(world, tokenizer, nano):
    with pytest.raises(PharmakonError, match=r"rl: needs a reward model \(reward_model=...\)"):
        rl(nano, tokenizer, world.instructions(), RLStageConfig(max_steps=1), seed=0)


def test_rl_config_holds_whole_groups_and_room_for_the_completion():
    with pytest.raises(ValidationError, match="multiple of num_generations"):
        RLStageConfig(batch_size=6, num_generations=4)
    with pytest.raises(ValidationError, match="below max_length"):
        RLStageConfig(max_length=32, max_completion_length=32)
