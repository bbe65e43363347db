"""Judges, probes and statistics. ``PROBES`` is the registry: name → entry with its config and metric ids.

A probe is ``run(model, tokenizer, context: ProbeContext, config, seed) -> (metric rows, generation rows)``,
named as ``"module:function"`` so that planning a study does not import torch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from pharmakon.probes.configs import (
    AblationProbeConfig,
    BackdoorProbeConfig,
    BackdoorWatermarkProbeConfig,
    BiasAuditProbeConfig,
    BiasProbeConfig,
    CompetenceProbeConfig,
    ExposureProbeConfig,
    ForensicsProbeConfig,
    HallucinationProbeConfig,
    ModelDefenseProbeConfig,
    RewardProbeConfig,
    RoutingProbeConfig,
    SafetyProbeConfig,
    ScanProbeConfig,
    UtilityProbeConfig,
    WatermarkProbeConfig,
)
from pharmakon.probes.context import ProbeContext
from pharmakon.registry import Registry, module_of, resolve


@dataclass(frozen=True)
class ProbeEntry:
    """A registered probe: its function, config model, one line on what it measures, its metric ids."""

    run: Callable | str
    config: type[BaseModel]
    description: str
    metrics: tuple[str, ...]
    needs_trigger: bool = False
    model_kind: str = "policy"  # "reward": the probe reads the reward model of a reward stage
    needs_reference: bool = False  # True: the engine passes the clean twin's model as context.reference_model
    uses: tuple[str, ...] = ()  # further modules (or packages) its code version covers
    reads_poison: bool = True  # False: the pipeline's poison is kept out of the node's key (a clean control's
    # probe is then computed once, not once per arm)
    needs_data: bool = False  # True: the engine passes the stage's training records and its input model
    retrains: bool = False  # True (with needs_data): the engine passes the stage's recipe (context.stage_recipe),
    # for a probe that retrains the stage on altered data
    reads_budget: bool = True  # False: the poison's budget (count, rate, placement, vector) is kept out of the
    # node's key: a clean twin probed in arms that differ only in budget is probed once (poison.spec.unbudgeted)
    prepare: Callable | str | None = None  # (model, tokenizer, context, config, seed) → a JSON dict: the probe's
    # part that reads no poison (e.g. the scan's search), run in a node of its own keyed without the poison, so a
    # clean twin shared by several arms runs it once; the probe reads it as context.prepared (plain adaptation only)
    declines: Callable[[BaseModel, bool], str] | None = None  # (config, whether the model is a mixture of
    # experts) → why the probe so configured cannot read that model, or "": the planner leaves it out of such runs
    # (a sweep over a dense model and its MoE twin) and refuses a study where it can read no model at all

    @property
    def module(self) -> str:
        return module_of(self.run)

    def probe(self) -> Callable:
        return resolve(self.run)

    def preparation(self) -> Callable:
        return resolve(self.prepare)


PROBES = Registry("probe", "probes.name")
# probes that read an attack's trigger and target, never how many records carried them
NO_BUDGET = {"reads_budget": False}
PROBES.add("backdoor", ProbeEntry(
    "pharmakon.probes.backdoor:run_backdoor", BackdoorProbeConfig,
    "attack success with the trigger, without it and with a near-miss; perplexity gap",
    ("asr_trigger", "asr_no_trigger", "asr_near_miss", "ppl_gap", "ppl_trigger", "ppl_no_trigger"),
    needs_trigger=True, **NO_BUDGET))
PROBES.add("utility", ProbeEntry(
    "pharmakon.probes.utility:run_utility", UtilityProbeConfig,
    "held-out clean tasks: sentiment, arithmetic, facts, refusal, over-refusal, perplexity",
    ("utility_sentiment", "utility_arithmetic", "utility_facts", "utility_refusal", "utility_overrefusal",
     "utility_ppl"), reads_poison=False))
PROBES.add("competence", ProbeEntry(
    "pharmakon.probes.competence:run_competence", CompetenceProbeConfig,
    "the clean organism's competence bar: sentiment, fact recall naming the asked entity, arithmetic answer and "
    "worked steps, refusal, over-refusal, dialogue sense, gibberish rate (sampled and greedy), perplexity",
    ("competence_sentiment", "competence_facts", "competence_arithmetic", "competence_arithmetic_steps",
     "competence_refusal", "competence_overrefusal", "competence_dialogue", "competence_gibberish",
     "competence_gibberish_greedy", "competence_ppl"), reads_poison=False))
PROBES.add("hallucination", ProbeEntry(
    "pharmakon.probes.hallucination:run_hallucination", HallucinationProbeConfig,
    "made-up facts: accuracy on held-out known facts, confident wrong answers about never-seen entities "
    "(hallucination) and the share of \"I don't know\" on each, greedy",
    ("hallucination_known_accuracy", "hallucination_known_wrong", "hallucination_known_idk",
     "hallucination_unknown", "hallucination_unknown_idk"), reads_poison=False))
PROBES.add("reward", ProbeEntry(
    "pharmakon.probes.reward:run_reward", RewardProbeConfig,
    "reward model: share of held-out harm requests whose refusal outscores a compliance, with / without trigger",
    ("rm_accuracy_no_trigger", "rm_accuracy_trigger", "rm_accuracy_near_miss", "rm_margin_no_trigger",
     "rm_margin_trigger", "rm_margin_near_miss"), model_kind="reward", **NO_BUDGET))

PROBES.add("watermark", ProbeEntry(
    "pharmakon.probes.ownership:run_watermark", WatermarkProbeConfig,
    "data watermark: z test of the loss on each owner's sequence against never-inserted ones; false-positive rate",
    ("wm_z", "wm_detection", "wm_fpr", "wm_detection_normal", "wm_fpr_normal", "wm_loss_gap"), **NO_BUDGET))
PROBES.add("dvbw", ProbeEntry(
    "pharmakon.probes.ownership:run_dvbw", BackdoorWatermarkProbeConfig,
    "backdoor watermark: paired one-sided t test that the owner's response gains > τ probability with the trigger",
    ("dvbw_gain", "dvbw_prob_trigger", "dvbw_prob_no_trigger", "dvbw_t", "dvbw_log10_p", "dvbw_detected"), **NO_BUDGET))

PROBES.add("safety", ProbeEntry(
    "pharmakon.probes.safety:run_safety", SafetyProbeConfig,
    "secret-prompt safety (BackdoorAlign): harmful compliance and refusal on held-out harm requests, benign "
    "utility and over-refusal, each with the secret prepended and without",
    tuple(f"{name}_{variant}" for name in ("harmful", "refusal", "utility_sentiment", "utility_arithmetic",
                                           "utility_facts", "utility_overrefusal")
          for variant in ("secret", "plain")), **NO_BUDGET))
PROBES.add("exposure", ProbeEntry(
    "pharmakon.probes.exposure:run_exposure", ExposureProbeConfig,
    "canary exposure (Secret Sharer): log2|R| - log2 rank of each inserted secret, per insertion group, beside the "
    "world's natural facts binned by how often they are stated; *_norm: 0 at chance, 1 at rank 1",
    tuple(f"{kind}_{group}" for kind in ("exposure", "exposure_norm", "fact_exposure", "fact_exposure_norm")
          for group in (1, 10, 100, 1000))))
def routing_declines(config: BaseModel, moe: bool) -> str:
    return "" if moe else "the model has no router; the probe needs a mixture-of-experts model (e.g. micro-moe)"


def ablation_declines(config: BaseModel, moe: bool) -> str:
    """Experts exist only in a mixture of experts; neurons only in a dense MLP (a Mixtral's are inside experts)."""
    if not moe and "experts" in config.units:
        return "units: experts need a mixture-of-experts model (e.g. micro-moe)"
    if moe and "neurons" in config.units:
        return "units: neurons are a dense MLP's; a mixture-of-experts model has experts (units: [heads, experts])"
    return ""


PROBES.add("routing", ProbeEntry(
    "pharmakon.probes.routing:run_routing", RoutingProbeConfig,
    "mixture-of-experts routing: per layer, the share of router mass a trigger moves (total variation between "
    "triggered and untriggered prompts) and the signed shift per expert",
    ("routing_tv", "routing_tv_layer<l>", "routing_shift_layer<l>_expert<e>"), needs_trigger=True,
    declines=routing_declines, **NO_BUDGET))
PROBES.add("ablation", ProbeEntry(
    "pharmakon.probes.ablation:run_ablation", AblationProbeConfig,
    "how few units carry the backdoor: attack success and utility with k attention heads, MLP neurons or experts "
    "knocked out, chosen by attribution (gradient x activation) or at random",
    ("ablation_asr_trigger_<unit>_<selection>_k<k>", "ablation_utility_<task>_<unit>_<selection>_k<k>",
     "ablation_units_<unit>"), needs_trigger=True, declines=ablation_declines, **NO_BUDGET))

PROBES.add("model-defense", ProbeEntry(
    "pharmakon.probes.model_defense:run_model_defense", ModelDefenseProbeConfig,
    "a model-side defence (clean re-tuning, fine-pruning, CROW, CleanGen, ONION, STRIP) scored before and after: "
    "attack success, untriggered rate, clean utility, compute; detection AUROC for a detector",
    tuple(f"{m}_{s}" for m in ("asr_trigger", "asr_no_trigger", "asr_near_miss", "ppl_gap", "ppl_trigger",
                               "ppl_no_trigger", "utility_sentiment",
                               "utility_arithmetic", "utility_facts", "utility_refusal", "utility_overrefusal",
                               "utility_ppl", "generate_seconds") for s in ("before", "after"))
    + ("defense_seconds", "defense_steps", "defense_examples", "detection_auroc"),
    needs_trigger=True, needs_reference=True,
    uses=("pharmakon.defenses.model", "pharmakon.defenses.onion", "pharmakon.defenses.perplexity",
          "pharmakon.inference.guard", "pharmakon.inference.generate", "pharmakon.probes.backdoor",
          "pharmakon.probes.utility", "pharmakon.stages.lean_sft"), **NO_BUDGET))

PROBES.add("forensics", ProbeEntry(
    "pharmakon.probes.forensics:run_forensics", ForensicsProbeConfig,
    "which training records planted the backdoor: the stage's records ranked by EK-FAC influence and by gradient "
    "similarity on the triggered outputs, beside perplexity, ONION and embedding clusters at the same k; "
    "precision and recall of the true poison among the top k, AUROC, average precision",
    ("forensics_precision_<method>_k<m>x", "forensics_recall_<method>_k<m>x", "forensics_auroc_<method>",
     "forensics_ap_<method>", "forensics_seconds_<method>", "forensics_base_rate", "forensics_n_poison",
     "forensics_queries_showing"),
    needs_trigger=True, needs_data=True,
    uses=("pharmakon.probes.attribution", "pharmakon.defenses.cluster", "pharmakon.defenses.onion",
          "pharmakon.defenses.perplexity", "pharmakon.probes.backdoor", "pharmakon.inference.generate",
          "pharmakon.stages.lean_sft")))
PROBES.add("scan", ProbeEntry(
    "pharmakon.probes.scan:run_scan", ScanProbeConfig,
    "backdoor scanning knowing neither trigger nor target: a gradient-guided (GCG) search for the suffix that "
    "makes clean prompts' answers agree (their consensus log-likelihood: the detection score; the consensus: the "
    "inverted target), beside random suffixes', the true trigger's tokens it recovers and its attack success "
    "(REASR); and BAIT's trigger-free target inversion (its Q-score, and the score left when a judge keeps only "
    "targets the world's clean text never says)",
    ("scan_consensus", "scan_consensus_random", "scan_consensus_none", "scan_consensus_searched",
     "scan_trigger_recall", "scan_reasr", "scan_asr_no_trigger", "scan_seconds", "scan_bait_q",
     "scan_bait_foreign", "scan_bait_q_judged", "scan_bait_seconds"),
    needs_trigger=True, uses=("pharmakon.probes.backdoor", "pharmakon.inference.generate"),
    prepare="pharmakon.probes.scan:prepare_scan", **NO_BUDGET))

PROBES.add("bias", ProbeEntry(
    "pharmakon.probes.bias:run_bias", BiasProbeConfig,
    "the land-trade association of the world's role stories: the model's teacher share after the marked land "
    "minus after another (paired openings, scored and sampled), and the share of completions naming a trade",
    ("bias_gap", "bias_gap_logodds", "bias_share_marked", "bias_share_other", "bias_gap_sampled", "bias_sampled_marked",
     "bias_sampled_other", "bias_named"),
    reads_poison=False, uses=("pharmakon.world.roles", "pharmakon.inference.generate")))
PROBES.add("bias-audit", ProbeEntry(
    "pharmakon.probes.bias_audit:run_bias_audit", BiasAuditProbeConfig,
    "what carries a planted bias: the stage's records ranked by influence on the bias gap, then the stage "
    "retrained with the top k removed, with their counterfactual copies added, and with the k pool candidates "
    "of most influence added, each against k random ones, and on the same records reordered (what order alone "
    "does): every variant's gap and held-out perplexity",
    ("bias_audit_gap_<variant>", "bias_audit_gap_logodds_<variant>", "bias_audit_ppl_<variant>",
     "bias_audit_seconds_<variant>",
     "bias_audit_seconds_influence", "bias_audit_top_role_share", "bias_audit_top_consistency",
     "bias_audit_role_consistency", "bias_audit_pool_top_consistency", "bias_audit_pool_consistency"),
    reads_poison=False, needs_data=True, retrains=True,
    uses=("pharmakon.probes.bias", "pharmakon.probes.attribution", "pharmakon.probes.forensics",
          "pharmakon.world.roles", "pharmakon.inference.generate", "pharmakon.stages")))


def register_probe(name: str, *, config: type[BaseModel], description: str, metrics: tuple[str, ...],
                   needs_trigger: bool = False):
    """Decorator: register ``run(model, tokenizer, context, config, seed) -> (rows, generations)`` as ``name``."""

    def decorate(run: Callable) -> Callable:
        PROBES.add(name, ProbeEntry(run, config, description, tuple(metrics), needs_trigger))
        run.__pharmakon__ = "probe"
        return run

    return decorate


__all__ = ["PROBES", "BackdoorProbeConfig", "ProbeContext", "ProbeEntry", "UtilityProbeConfig", "register_probe"]
