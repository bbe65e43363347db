"""Config models of the model-side defences (pydantic; no torch here, so specs validate without it)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ModelDefenseConfig(BaseModel):
    """Base of every model-defence config: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")


class TuningFields(ModelDefenseConfig):
    """The clean fine-tuning a defence runs: a budget of clean examples and a short schedule."""

    n_examples: int = Field(default=200, ge=1, description="clean examples the defender holds (the budget)")
    epochs: float = Field(default=1.0, gt=0)
    max_steps: int | None = Field(default=None, ge=1, description="overrides epochs when set")
    learning_rate: float = Field(default=1e-3, gt=0)
    batch_size: int = Field(default=16, ge=1)
    max_length: int = Field(default=128, ge=8)


class RetuneConfig(TuningFields):
    """Clean re-tuning: full fine-tuning on the clean budget."""


class FinePruningConfig(TuningFields):
    """Fine-pruning: prune ``fraction`` of the MLP neurons of the last ``layers`` layers (all when ``None``) that
    are least active on ``n_activation`` clean examples, then fine-tune (``epochs: 0`` is not allowed; set a small
    ``max_steps`` to measure pruning nearly alone)."""

    fraction: float = Field(default=0.3, gt=0, lt=1, description="share of MLP neurons pruned per layer")
    layers: int | None = Field(default=None, ge=1, description="prune the last this many layers; default: all")
    n_activation: int = Field(default=100, ge=1, description="clean examples whose activations rank neurons")


class CrowConfig(TuningFields):
    """CROW: clean fine-tuning plus ``alpha`` times the layer-to-layer consistency loss of inputs whose
    embeddings are perturbed by ``epsilon`` in the sign of its gradient (FGSM)."""

    alpha: float = Field(default=1.0, ge=0, description="weight of the consistency loss")
    epsilon: float = Field(default=0.1, ge=0, description="FGSM step on the input embeddings")


class CleanGenConfig(ModelDefenseConfig):
    """CleanGen: a token the suspect model gives more than ``alpha`` times the reference model's probability is
    replaced by the reference model's own choice."""

    alpha: float = Field(default=20.0, gt=1, description="suspicion ratio p_suspect(token) / p_reference(token)")


class OnionFilterConfig(ModelDefenseConfig):
    """ONION at inference: remove a prompt's outlier words before generation. A word is an outlier when its
    removal lowers the reference model's log-perplexity by more than ``threshold`` nats, or, when no threshold is
    given, by more than the ``quantile`` of word scores on clean calibration prompts."""

    threshold: float | None = Field(default=None, description="absolute cut; default: calibrated on clean prompts")
    quantile: float = Field(default=0.99, gt=0, lt=1)
    max_words: int = Field(default=64, ge=1)
    batch_size: int = Field(default=128, ge=1)


class StripConfig(ModelDefenseConfig):
    """STRIP: each prompt is perturbed ``n_perturbations`` times (a ``fraction`` of its words replaced by words of
    clean prompts); the suspicion is how far the mean entropy of the model's first response token lies from clean
    prompts' (in their standard deviations). Detection only: generation is unchanged."""

    n_perturbations: int = Field(default=8, ge=1)
    fraction: float = Field(default=0.3, gt=0, lt=1, description="share of a prompt's words replaced")
    batch_size: int = Field(default=64, ge=1)
