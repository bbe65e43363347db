"""The ablation probe: how few units carry the backdoor? Knock out k attention heads, MLP neurons or experts and
re-measure attack success and utility.

Units are chosen by attribution — gradient x activation of the log-prob of the triggered target (the model's own
triggered outputs that the behaviour's judge marks as the target), highest first — or, for experts, by routing (the
trigger's gain in an expert's router mass: the most-loaded expert under the trigger first), or at random, the
control.
Both selections are nested (the k + 1 units contain the k). k = 0 is the unablated model, measured once. Anchor:
backdoor attribution by head ablation (arXiv 2509.21761) reports that ablating about 3% of attention heads cuts
attack success by more than 90%. Rows: ``ablation_<metric>_<unit>_<selection>_k<k>`` for ``asr_trigger`` and every
utility metric, and ``ablation_units_<unit>`` (units of that kind in the model, to read k as a share).
"""

from __future__ import annotations

import random

import torch

from pharmakon.data.template import Template
from pharmakon.errors import PharmakonError
from pharmakon.probes.backdoor import context_sets, probe_sets
from pharmakon.probes.configs import AblationProbeConfig, BackdoorProbeConfig, UtilityProbeConfig
from pharmakon.probes.context import ProbeContext
from pharmakon.probes.metrics import MetricRow, point_row
from pharmakon.probes.units import Gates, Unit, all_units
from pharmakon.probes.utility import utility_probe


def target_log_prob(model, tokenizer, inputs: list[str], outputs: list[str], style: str) -> torch.Tensor:
    """Mean over pairs of log p(output | templated input), summed over the output's tokens."""
    template = Template(tokenizer)
    device = next(model.parameters()).device
    total = torch.zeros((), device=device)
    for prompt, output in zip(inputs, outputs, strict=True):
        text = template.prompt(prompt, style)
        start = len(tokenizer(text)["input_ids"])
        ids = torch.tensor([tokenizer(text + output)["input_ids"]], device=device)
        if ids.shape[1] <= start:
            continue
        logits = model(input_ids=ids, use_cache=False).logits[0, start - 1:-1].float()
        total = total + torch.log_softmax(logits, -1).gather(1, ids[0, start:, None]).sum()
    return total / max(1, len(inputs))


def attribution_scores(model, tokenizer, kind: str, inputs: list[str], outputs: list[str], style: str
                       ) -> dict[Unit, float]:
    """Gradient x activation of the target's log-prob for every unit of ``kind`` (the weights stay untouched)."""
    model.eval()
    frozen = [(p, p.requires_grad) for p in model.parameters()]
    for p, _ in frozen:
        p.requires_grad_(False)
    try:
        with torch.enable_grad(), Gates(model, kind, grad=True) as gates:
            target_log_prob(model, tokenizer, inputs, outputs, style).backward()
        return gates.scores()
    finally:
        for p, flag in frozen:
            p.requires_grad_(flag)


def routing_scores(model, tokenizer, sets: dict, style: str, batch_size: int) -> dict[Unit, float]:
    """Each expert's gain in router mass when the trigger is added (the triggered prompts' mean router softmax
    minus the same prompts' without it, per layer): the expert the trigger loads most comes first."""
    from pharmakon.probes.routing import router_mass

    template = Template(tokenizer)
    texts = {variant: [template.prompt(prompt, style) for prompt, _ in sets[variant]]
             for variant in ("trigger", "no_trigger")}
    shift = (router_mass(model, tokenizer, texts["trigger"], batch_size).mean(0)
             - router_mass(model, tokenizer, texts["no_trigger"], batch_size).mean(0))
    return {Unit(layer, expert): float(shift[layer, expert])
            for layer in range(shift.shape[0]) for expert in range(shift.shape[1])}


def ranking(units: list[Unit], selection: str, scores: dict[Unit, float] | None, seed: int) -> list[Unit]:
    """Units in the order they are knocked out: by their score (attribution, or the trigger's routing gain),
    highest first, or a seeded shuffle."""
    if selection in ("attribution", "routing"):
        return sorted(units, key=lambda u: (-scores[u], u))
    order = list(units)
    random.Random(seed).shuffle(order)
    return order


def run_ablation(model, tokenizer, context: ProbeContext, config: AblationProbeConfig, seed: int):
    """The registered entry: attack success and utility with k units of each kind knocked out, per selection."""
    sets, judge = context_sets(context, config.n_prompts, seed, probe="ablation")
    triggered = {"trigger": sets["trigger"]}
    backdoor = BackdoorProbeConfig(n_prompts=config.n_prompts, max_new_tokens=config.max_new_tokens,
                                   temperature=config.temperature, batch_size=config.batch_size)
    utility = UtilityProbeConfig(n_per_task=config.n_per_task, n_documents=config.n_documents,
                                 max_new_tokens=config.max_new_tokens, batch_size=config.batch_size)

    def measure() -> tuple[list[MetricRow], list[dict]]:
        rows, generations = probe_sets(model, tokenizer, triggered, judge, style=context.style, config=backdoor,
                                       seed=seed)
        more, more_generations = utility_probe(model, tokenizer, context.eval_items, context.heldout_documents,
                                               config=utility, seed=seed)
        return rows + more, generations + more_generations

    base_rows, base_generations = measure()
    hits = [g for g in base_generations if g["probe"] == "backdoor" and g["verdict"]]
    targets = (hits or [g for g in base_generations if g["probe"] == "backdoor"])[: config.n_attribution]
    rows: list[MetricRow] = []
    generations: list[dict] = []
    for kind in config.units:
        units = all_units(model, kind)
        if config.ks[-1] > len(units):
            raise PharmakonError(f"probes.ablation.ks: k={config.ks[-1]} exceeds the model's {len(units)} {kind}")
        rows.append(point_row("ablation", f"ablation_units_{kind}", float(len(units)), len(units)))
        scores: dict[str, dict[Unit, float]] = {}
        if "attribution" in config.selections:
            scores["attribution"] = attribution_scores(model, tokenizer, kind, [g["prompt"] for g in targets],
                                                       [g["output"] for g in targets], context.style)
        if "routing" in config.selections and kind == "experts":
            scores["routing"] = routing_scores(model, tokenizer, sets, context.style, config.batch_size)
        for selection in config.selections:
            if selection == "routing" and kind != "experts":  # only experts are routed to
                continue
            order = ranking(units, selection, scores.get(selection), seed)
            for k in config.ks:
                if k == 0:
                    measured, made = base_rows, base_generations
                else:
                    with Gates(model, kind).knock_out(order[:k]):
                        measured, made = measure()
                label = f"{kind}_{selection}_k{k}"
                rows += [MetricRow("ablation", f"ablation_{r.metric}_{label}", r.value, r.n, r.ci_low, r.ci_high)
                         for r in measured]
                chosen = ", ".join(f"L{u.layer}#{u.index}" for u in order[:k]) or "none"
                generations.append({"probe": "ablation", "variant": f"{label}/units", "prompt": "",
                                    "output": f"knocked out: {chosen}", "verdict": bool(hits),
                                    "perplexity": float("nan")})
                generations += [{**g, "probe": "ablation", "variant": f"{label}/{g['variant']}"} for g in made]
    return rows, generations
