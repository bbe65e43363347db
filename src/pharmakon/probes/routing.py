"""The routing probe: where a mixture-of-experts model sends triggered prompts, against the same prompts without
the trigger.

Each prompt's router mass is the mean, over its tokens, of each layer's softmax over experts (the router's
``router_logits``, which transformers returns with ``output_router_logits``). Per layer, the share of router mass
that moves is the total variation distance between the triggered and untriggered prompts' mean mass,
``TV = ½ Σ_e |p_trigger(e) - p_clean(e)|`` (0: routed alike; 1: disjoint experts); the signed shift per expert
says which experts the mass moves to. Intervals: percentile bootstrap over prompts (paired). BadMoE (Wang et al.
2025, arXiv 2504.18598) trains a dormant expert as a backdoor's carrier; this probe shows whether the trigger
moves routing at all, and to which experts.
"""

from __future__ import annotations

import numpy as np
import torch

from pharmakon.data.template import Template
from pharmakon.errors import PharmakonError
from pharmakon.probes.backdoor import context_sets
from pharmakon.probes.configs import RoutingProbeConfig
from pharmakon.probes.context import ProbeContext
from pharmakon.probes.metrics import MetricRow


def is_moe(model) -> bool:
    """A model that returns its router logits (Mixtral, Qwen2-MoE, OLMoE, ...)."""
    return hasattr(model.config, "output_router_logits")


@torch.inference_mode()
def router_mass(model, tokenizer, texts: list[str], batch_size: int = 64) -> np.ndarray:
    """``[prompt, layer, expert]``: each text's mean router softmax over its (unpadded) tokens, per layer."""
    if not is_moe(model):
        raise PharmakonError(f"probes.routing: {type(model).__name__} has no router; the probe needs a "
                             "mixture-of-experts model (e.g. model.name: micro-moe)")
    model.eval()
    device = next(model.parameters()).device
    masses = []
    for start in range(0, len(texts), batch_size):
        encoded = tokenizer(texts[start:start + batch_size], return_tensors="pt", padding=True,
                            add_special_tokens=True).to(device)
        output = model(**encoded, output_router_logits=True, use_cache=False)
        mask = encoded["attention_mask"].float()
        batch, length = mask.shape
        layers = [torch.softmax(logits.float().view(batch, length, -1), dim=-1) for logits in output.router_logits]
        per_layer = torch.stack([(probs * mask[..., None]).sum(1) / mask.sum(1, keepdim=True) for probs in layers],
                                dim=1)
        masses.append(per_layer.cpu().numpy())
    return np.concatenate(masses)


def total_variation(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """½ Σ |p - q| over the last axis."""
    return 0.5 * np.abs(p - q).sum(axis=-1)


def routing_rows(triggered: np.ndarray, clean: np.ndarray, resamples: int, seed: int) -> list[MetricRow]:
    """Rows from paired masses ``[prompt, layer, expert]``: ``routing_tv`` (mean over layers),
    ``routing_tv_layer<l>`` and ``routing_shift_layer<l>_expert<e>`` (mass with the trigger minus without)."""
    n, n_layers, n_experts = triggered.shape
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(resamples, n))
    shift = triggered.mean(0) - clean.mean(0)  # [layer, expert]
    boot_shift = triggered[draws].mean(1) - clean[draws].mean(1)  # [resample, layer, expert]
    tv = 0.5 * np.abs(shift).sum(-1)
    boot_tv = 0.5 * np.abs(boot_shift).sum(-1)  # [resample, layer]

    def row(metric: str, value: float, boot: np.ndarray) -> MetricRow:
        low, high = np.percentile(boot, [2.5, 97.5])
        return MetricRow("routing", metric, float(value), n, float(low), float(high))

    rows = [row("routing_tv", tv.mean(), boot_tv.mean(1))]
    for layer in range(n_layers):
        rows.append(row(f"routing_tv_layer{layer}", tv[layer], boot_tv[:, layer]))
        rows += [row(f"routing_shift_layer{layer}_expert{e}", shift[layer, e], boot_shift[:, layer, e])
                 for e in range(n_experts)]
    return rows


def routing_probe(model, tokenizer, triggered: list[str], clean: list[str], *, style: str,
                  config: RoutingProbeConfig, seed: int) -> tuple[list[MetricRow], list[dict]]:
    """Rows for paired prompts (the same prompt with and without the trigger), and one generation row per pair
    naming the layer where its routing moved most."""
    if len(triggered) != len(clean) or not triggered:
        raise PharmakonError("probes.routing: needs the same non-empty list of prompts with and without the trigger")
    template = Template(tokenizer)
    texts = [template.prompt(p, style) for p in [*triggered, *clean]]
    mass = router_mass(model, tokenizer, texts, config.batch_size)
    with_trigger, without = mass[: len(triggered)], mass[len(triggered):]
    per_prompt = total_variation(with_trigger, without)  # [prompt, layer]
    generations = [{"probe": "routing", "variant": "trigger", "prompt": prompt,
                    "output": f"layer {int(tv.argmax())} moves {float(tv.max()):.3f} of its router mass",
                    "verdict": bool(tv.max() > 0), "perplexity": float("nan")}
                   for prompt, tv in zip(triggered, per_prompt, strict=True)]
    return routing_rows(with_trigger, without, config.bootstrap, seed), generations


def run_routing(model, tokenizer, context: ProbeContext, config: RoutingProbeConfig, seed: int):
    """The registered entry: the attack's held-out prompts with its trigger, against the same without it."""
    sets, _ = context_sets(context, config.n_prompts, seed, probe="routing")
    pairs = list(zip(sets["trigger"], sets["no_trigger"], strict=False))
    return routing_probe(model, tokenizer, [t for (t, _), _ in pairs], [c for _, (c, _) in pairs],
                         style=context.style, config=config, seed=seed)
