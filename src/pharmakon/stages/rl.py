"""Reinforcement learning from a learned reward with TRL's ``GRPOTrainer``.

Each step samples ``num_generations`` completions for ``batch_size / num_generations`` instruction prompts and
pushes the policy towards the completions the reward model scores above their group's mean. The reward model
reads completions through ``reward.score_formatted``, the very input it was trained on and that probes score
with: handing it to TRL as a model instead would score ``prompt completion`` without ``<s>`` and ``</s>``.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import tempfile

from datasets import Dataset
from trl import GRPOConfig, GRPOTrainer

from pharmakon.data.records import Record, require_kind
from pharmakon.data.template import Template
from pharmakon.errors import PharmakonError
from pharmakon.models.io import prepare_for_generation
from pharmakon.stages.common import (
    RichProgressCallback,
    StageResult,
    finish,
    quiet_trainer,
    seed_everything,
    trainer_arguments,
)
from pharmakon.stages.configs import RLStageConfig
from pharmakon.stages.reward import plain_forward, score_formatted


def learned_reward(prompts: list[str], completions: list[str], *, reward_model, tokenizer, **_) -> list[float]:
    """A GRPO reward function: the reward model's score of each completion to its (templated) prompt."""
    return score_formatted(reward_model, tokenizer, prompts, completions)


def prompt_dataset(records: list[Record], tokenizer, config: RLStageConfig) -> Dataset:
    """Templated prompts that leave room for a full completion within ``max_length`` tokens."""
    template = Template(tokenizer)
    budget = config.max_length - config.max_completion_length
    prompts = [template.chat_prompt(r.prompt) for r in records]
    kept = [p for p in prompts if len(tokenizer(p)["input_ids"]) <= budget]
    if not kept:
        raise PharmakonError(f"rl.max_length: every prompt is longer than {budget} tokens "
                             f"(max_length {config.max_length} - max_completion_length {config.max_completion_length})")
    return Dataset.from_dict({"prompt": kept})


class _RewardLogCallback(RichProgressCallback):
    """The loss log, with each step's mean reward (GRPO's loss is no measure of progress)."""

    def on_log(self, args, state, control, logs=None, **kwargs):
        super().on_log(args, state, control, logs=logs, **kwargs)
        if logs and "loss" in logs and "reward" in logs:
            self.log[-1]["reward"] = float(logs["reward"])


@contextlib.contextmanager
def _reference_source(model, needed: bool):
    """Point ``model``'s config at a saved copy of it, where ``GRPOTrainer`` loads the KL reference from.

    TRL builds the reference from ``config._name_or_path``: empty for a model built in memory, and for a model
    loaded from disk, the weights on disk, not the ones in memory (say, after an in-memory SFT).
    """
    if not needed:
        yield
        return
    folder, original = tempfile.mkdtemp(prefix="pharmakon-reference-"), model.config._name_or_path
    try:
        model.save_pretrained(folder, safe_serialization=True)
        model.config._name_or_path = folder
        yield
    finally:
        model.config._name_or_path = original
        shutil.rmtree(folder, ignore_errors=True)


def rl(model, tokenizer, records: list[Record], config: RLStageConfig, seed: int,
       reward_model=None) -> StageResult:
    """GRPO on instruction prompts against ``reward_model`` (from a ``reward`` stage); the log adds the reward."""
    require_kind(records, "example", "rl")
    if reward_model is None:
        raise PharmakonError("rl: needs a reward model (reward_model=...); put a `reward` stage before it")
    seed_everything(seed, config.threads)
    plain_forward(model)  # an earlier trainer's wrapper may close over another copy of the model
    shared = trainer_arguments(config, seed, model)
    arguments = {k: v for k, v in shared.items() if k != "max_length"}  # not a GRPO field
    arguments = GRPOConfig(**arguments, num_generations=config.num_generations, temperature=config.temperature,
                           max_completion_length=config.max_completion_length, beta=config.beta,
                           disable_dropout=True, log_completions=False)
    reward_model.eval()
    reward_function = functools.partial(learned_reward, reward_model=reward_model, tokenizer=tokenizer)
    callback = _RewardLogCallback("rl")
    with _reference_source(model, needed=config.beta > 0):
        trainer = GRPOTrainer(model=model, reward_funcs=[reward_function], args=arguments,
                              train_dataset=prompt_dataset(records, tokenizer, config), processing_class=tokenizer,
                              callbacks=[callback])
    reward_model.to(trainer.accelerator.device)
    quiet_trainer(trainer)
    trainer.train()
    policy = plain_forward(trainer.model)
    prepare_for_generation(policy, tokenizer)
    return StageResult(model=finish(policy), log=callback.log)
