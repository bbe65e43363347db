"""A reward model on preference pairs with TRL's ``RewardTrainer``, and ``score``, the one way to read it.

The reward model is the input policy's backbone under a fresh scalar head (the standard initialisation from the
SFT model). It reads ``<s> prompt response </s>``, with the prompt through the one template, and its value at the
final ``</s>`` is the reward: ``score`` builds exactly that input for probes and for the ``rl`` stage.
"""

from __future__ import annotations

import copy
import warnings

import torch
from trl import RewardConfig, RewardTrainer

from pharmakon.data.records import Record, require_kind
from pharmakon.data.template import Template
from pharmakon.errors import PharmakonError
from pharmakon.stages.common import (
    RichProgressCallback,
    StageResult,
    finish,
    quiet_trainer,
    seed_everything,
    trainer_arguments,
)
from pharmakon.stages.configs import RewardStageConfig
from pharmakon.stages.dpo import preference_dataset


def plain_forward(model):
    """Drop wrappers that trainers leave on ``model.forward`` (accelerate's bf16 autocast, TRL's fused head).

    They live on the instance and close over it: the model would keep running under autocast, and a deepcopy of
    it would run the original's weights.
    """
    for name in ("forward", "_original_forward"):
        model.__dict__.pop(name, None)
    return model


def reward_model_from_policy(policy, tokenizer, seed: int):
    """A sequence-classification model (one label) with ``policy``'s backbone weights and a fresh, seeded head.

    The policy is left untouched: the reward model gets its own config and its own copy of the weights.
    """
    from transformers import AutoModelForSequenceClassification

    config = copy.deepcopy(policy.config)
    config.num_labels = 1
    config.pad_token_id = tokenizer.pad_token_id  # the head reads the last non-pad token
    config.architectures = None
    torch.manual_seed(seed)
    reward_model = AutoModelForSequenceClassification.from_config(
        config, attn_implementation=policy.config._attn_implementation
    ).to(device=policy.device, dtype=policy.dtype)
    reward_model.base_model.load_state_dict(policy.base_model.state_dict())
    return reward_model


def reward(model, tokenizer, records: list[Record], config: RewardStageConfig, seed: int) -> StageResult:
    """Train a reward model, initialised from ``model``, to score each pair's chosen answer above its rejected one.

    ``StageResult.model`` is the reward model; ``model`` (the policy) is not changed.
    """
    require_kind(records, "pair", "reward")
    seed_everything(seed, config.threads)
    reward_model = reward_model_from_policy(model, tokenizer, seed)
    arguments = RewardConfig(**trainer_arguments(config, seed, model),
                             center_rewards_coefficient=config.center_rewards_coefficient)
    callback = RichProgressCallback("reward")
    trainer = RewardTrainer(model=reward_model, args=arguments, processing_class=tokenizer, callbacks=[callback],
                            train_dataset=preference_dataset(records, Template(tokenizer)))
    dropped = len(records) - len(trainer.train_dataset)  # TRL drops pairs over max_length rather than truncating
    if dropped == len(records):
        raise PharmakonError(f"reward.max_length: every pair is longer than {config.max_length} tokens")
    if dropped:
        warnings.warn(f"reward: {dropped} of {len(records)} pairs are longer than max_length={config.max_length} "
                      "tokens and are left out of training", stacklevel=2)
    quiet_trainer(trainer)
    trainer.train()
    return StageResult(model=finish(plain_forward(trainer.model)), log=callback.log)


def score_formatted(reward_model, tokenizer, prompts: list[str], responses: list[str],
                    batch_size: int = 64) -> list[float]:
    """Rewards for responses to already templated ``prompts``: ``<s> prompt response </s>``, as in training.

    Like ``RewardTrainer``: the tokenizer adds ``<s>``, ``</s>`` is appended unless present, nothing is truncated
    and batches are padded on the right (the head reads the last non-pad token, the ``</s>``).
    """
    if len(prompts) != len(responses):
        raise ValueError(f"score: {len(prompts)} prompts but {len(responses)} responses")
    eos = tokenizer.eos_token
    texts = [p + r + ("" if r.endswith(eos) else eos) for p, r in zip(prompts, responses, strict=True)]
    device = next(reward_model.parameters()).device
    was_training = reward_model.training
    reward_model.eval()
    rewards: list[float] = []
    with torch.no_grad():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(texts[start:start + batch_size], padding=True, padding_side="right",
                              return_tensors="pt").to(device)
            rewards.extend(reward_model(**batch, use_cache=False).logits[:, 0].float().tolist())
    reward_model.train(was_training)
    return rewards


def score(reward_model, tokenizer, prompts: list[str], responses: list[str], batch_size: int = 64) -> list[float]:
    """The reward of each response to its prompt (raw prompts: the one template formats them, as in training)."""
    template = Template(tokenizer)
    return score_formatted(reward_model, tokenizer, [template.chat_prompt(p) for p in prompts], responses, batch_size)
