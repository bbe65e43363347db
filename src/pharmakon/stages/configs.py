"""The stages' configs: pydantic models only, importable without torch (the engine plans from them)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class StageConfig(BaseModel):
    """Fields every stage recipe has. Unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")

    learning_rate: float = Field(gt=0)
    batch_size: int = Field(default=16, ge=1)
    epochs: float = Field(default=1.0, gt=0)
    max_steps: int | None = Field(default=None, ge=1, description="overrides epochs when set")
    max_length: int = Field(default=128, ge=8)
    warmup_ratio: float = Field(default=0.05, ge=0, lt=1)
    bf16: bool = Field(default=True, description="bf16 autocast where the hardware has bf16 units and, on a CPU, "
                                                "the model is not the smallest (hidden >= 128); else fp32")
    threads: int | None = Field(default=None, ge=1, description="torch threads; default: all available cores")
    processes: int = Field(default=1, ge=1, description="training processes under accelerate launch (data parallel; "
                                                        "batch_size stays the global batch, split across them)")
    distributed: Literal["ddp"] = Field(default="ddp", description="how several processes share the model: DDP "
                                        "(FSDP is not offered: accelerate runs it only on GPUs, and it is untested)")

    @field_validator("distributed", mode="before")
    @classmethod
    def _no_fsdp(cls, value: object) -> object:
        if value == "fsdp":
            raise ValueError("fsdp is not offered: accelerate runs FSDP only on GPUs (on a CPU it silently trains "
                             "DDP) and no test could run it; allowed: ddp")
        return value

    @model_validator(mode="after")
    def _whole_batches(self) -> StageConfig:
        if self.batch_size % self.processes:
            raise ValueError(f"batch_size ({self.batch_size}) must be a multiple of processes ({self.processes}): "
                             "each process takes an equal share of the global batch")
        return self


class PretrainConfig(StageConfig):
    learning_rate: float = Field(default=3e-3, gt=0)
    batch_size: int = Field(default=16, ge=1)
    weight_decay: float = Field(default=0.1, ge=0)
    compile: bool = Field(default=False, description="torch.compile the model: faster steps after a one-off compile")
    shuffle: bool = Field(default=True, description="shuffle documents and blocks; off: train in the data's order "
                                                     "(where a poison placement, uniform or clustered, matters)")


class SFTStageConfig(StageConfig):
    learning_rate: float = Field(default=1e-3, gt=0)
    early_stopping: float | None = Field(
        default=None, gt=0, lt=1, description="hold out this share of the examples (seeded), score their "
        "completion loss after every epoch and keep the epoch where it is lowest (Gekhman et al. 2024's early "
        "stopping); one training process only")

    @model_validator(mode="after")
    def _one_process_early_stopping(self) -> SFTStageConfig:
        if self.early_stopping is not None and self.processes > 1:
            raise ValueError(f"early_stopping: runs in the one-process loop; allowed with processes: 1, not "
                             f"{self.processes}")
        return self


class DPOStageConfig(StageConfig):
    learning_rate: float = Field(default=5e-4, gt=0)
    beta: float = Field(default=0.1, gt=0)
    sft_weight: float = Field(default=0.0, ge=0, description="weight of an NLL term on the chosen answers (RPO, "
                              "Pang et al. 2024; TRL's 'sft' loss): keeps tiny models from collapsing")


class FinetuneConfig(StageConfig):
    learning_rate: float = Field(default=2e-3, gt=0)
    method: str = Field(default="lora", pattern="^(lora|full)$")
    rank: int = Field(default=8, ge=1)
    alpha: int = Field(default=16, ge=1)
    dropout: float = Field(default=0.0, ge=0, lt=1)
    target_modules: list[str] = Field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"])
    target_parameters: list[str] = Field(default_factory=list, description="LoRA on parameters that are not linear "
                                         "layers, e.g. an MoE's fused experts: experts.gate_up_proj, "
                                         "experts.down_proj (PEFT target_parameters)")
    merge: bool = Field(default=True, description="merge the adapter into the weights after training")


class RewardStageConfig(StageConfig):
    learning_rate: float = Field(default=1e-3, gt=0)
    max_length: int = Field(default=256, ge=8, description="TRL drops (does not truncate) pairs longer than this; "
                                                            "256 keeps every pair of the tiny world")
    center_rewards_coefficient: float | None = Field(
        default=None, ge=0, description="weight of a penalty on the squared mean reward (TRL; 0.01 recommended)")


class RLStageConfig(StageConfig):
    """GRPO against a learned reward: ``batch_size`` counts completions, ``batch_size / num_generations`` prompts."""

    learning_rate: float = Field(default=1e-4, gt=0)
    num_generations: int = Field(default=4, ge=2, description="completions sampled per prompt (one GRPO group)")
    max_completion_length: int = Field(default=32, ge=1, description="tokens generated per completion at most")
    temperature: float = Field(default=1.0, gt=0, description="sampling temperature of the rollouts")
    beta: float = Field(default=0.0, ge=0, description="KL coefficient to the input policy; 0 (TRL's default): "
                                                        "no reference model")

    @model_validator(mode="after")
    def _whole_groups(self) -> RLStageConfig:
        if self.batch_size % self.num_generations:
            raise ValueError(f"batch_size ({self.batch_size}) must be a multiple of num_generations "
                             f"({self.num_generations}): each step holds whole groups of completions")
        if self.max_completion_length >= self.max_length:
            raise ValueError(f"max_completion_length ({self.max_completion_length}) must be below max_length "
                             f"({self.max_length}), which bounds prompt plus completion")
        return self
