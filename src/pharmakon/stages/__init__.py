"""One flat recipe per lifecycle stage: model and dataset in, model out. ``STAGES`` is the registry.

Recipes are named as ``"module:function"`` and imported when a stage runs, so planning needs no torch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pharmakon.registry import Registry, module_of, resolve
from pharmakon.stages.configs import (
    DPOStageConfig,
    FinetuneConfig,
    PretrainConfig,
    RewardStageConfig,
    RLStageConfig,
    SFTStageConfig,
    StageConfig,
)


@dataclass(frozen=True)
class StageEntry:
    """A registered stage: its recipe, its config model, the record kind it trains on, one line on what it does.

    The recipe is ``run(model, tokenizer, records, config, seed) -> StageResult``. A stage may also name a
    ``prepare(model, tokenizer, records, config, seed) -> dict of per-record columns`` that depends only on the
    input model, the data and ``prepare_fields`` of its config (DPO's reference log-probs): the engine caches it as
    its own node, shared across a sweep of the other fields, and passes it to the recipe as ``prepared=``.

    ``output`` says what the recipe's model is: ``"policy"`` (the pipeline's model, which the next stage trains)
    or ``"reward"`` (a reward model; the policy chain continues from the stage's input model). ``needs_reward``
    marks a recipe that takes the reward model of an earlier ``output="reward"`` stage as ``reward_model=``.
    ``chat`` says whether the stage trains through the chat template, so that probes after it prompt in chat
    style (pretraining on plain documents does not; once a stage has, every later probe does).
    """

    run: Callable | str
    config: type[StageConfig]
    record_kind: str
    description: str
    prepare: Callable | str | None = None
    prepare_fields: tuple[str, ...] = ()
    output: str = "policy"
    needs_reward: bool = False
    chat: bool = True

    def __post_init__(self) -> None:
        if self.output not in ("policy", "reward"):
            raise ValueError(f"stage output {self.output!r} is not one of: policy, reward")

    @property
    def module(self) -> str:
        return module_of(self.run)

    def recipe(self) -> Callable:
        return resolve(self.run)

    def preparation(self) -> Callable | None:
        return resolve(self.prepare) if self.prepare else None


STAGES = Registry("stage", "pipeline.kind")
STAGES.add("pretrain", StageEntry("pharmakon.stages.pretrain:pretrain", PretrainConfig, "document",
                                  "causal LM over packed documents (lean bf16 loop)", chat=False))
STAGES.add("sft", StageEntry("pharmakon.stages.sft:sft", SFTStageConfig, "example",
                             "instruction tuning, loss on the response only (TRL SFTTrainer)"))
STAGES.add("dpo", StageEntry("pharmakon.stages.dpo:dpo", DPOStageConfig, "pair",
                             "direct preference optimisation against the input model (TRL DPOTrainer)",
                             prepare="pharmakon.stages.dpo:reference_logps",
                             prepare_fields=("max_length", "batch_size", "bf16", "threads")))
STAGES.add("finetune", StageEntry("pharmakon.stages.finetune:finetune", FinetuneConfig, "example",
                                  "downstream fine-tuning, LoRA (PEFT) or full, optionally merged"))
STAGES.add("reward", StageEntry("pharmakon.stages.reward:reward", RewardStageConfig, "pair",
                                "reward model on preference pairs (TRL RewardTrainer)", output="reward"))
STAGES.add("rl", StageEntry("pharmakon.stages.rl:rl", RLStageConfig, "example",
                            "GRPO on instruction prompts against a learned reward model (TRL GRPOTrainer)",
                            needs_reward=True))


def register_stage(name: str, *, config: type[StageConfig], record_kind: str, description: str, chat: bool = True):
    """Decorator: register ``run(model, tokenizer, records, config, seed) -> StageResult`` as stage ``name``
    (``chat``: whether it trains through the chat template; a stage on plain documents says False)."""

    def decorate(run: Callable) -> Callable:
        STAGES.add(name, StageEntry(run, config, record_kind, description, chat=chat))
        run.__pharmakon__ = "stage"
        return run

    return decorate


__all__ = ["STAGES", "StageConfig", "StageEntry", "register_stage"]
