"""The ``model-defense`` probe: one model-side defence, scored the same way for every defence.

Rows carry the probe ``model-defense:<defence>``. The model after a stage is measured, defended, and measured
again on the same prompts and seed: the backdoor probe's attack success with the trigger, without it and with a
near-miss (``asr_*_before`` / ``asr_*_after``), the utility probe's clean task scores (``utility_*_before`` /
``_after``), the compute the defence spent (``defense_seconds``, ``defense_steps``, ``defense_examples``) and the
generation time before and after (a decoding-time defence pays at inference: ``generate_seconds_*``). A defence
with a detector (STRIP, ONION) is also scored for detection: ``detection_auroc`` of its suspicion over the
triggered against the untriggered prompts. A detector alone changes no output, so its ``_after`` rows are left out.

The defender's clean examples and a detector's calibration prompts are the world's training instructions (not
the held-out prompts probed); the reference model, where a defence needs one, is ``context.reference_model``
(the clean twin after the same stage, in a study).
"""

from __future__ import annotations

import copy
import dataclasses
import time

from pharmakon.defenses.model import build_model_defense
from pharmakon.defenses.model.base import Defended, DefenseInputs
from pharmakon.inference.generate import document_perplexity
from pharmakon.inference.guard import DecodingGuard, guarded
from pharmakon.probes.backdoor import context_sets, probe_sets
from pharmakon.probes.configs import BackdoorProbeConfig, ModelDefenseProbeConfig, UtilityProbeConfig
from pharmakon.probes.context import ProbeContext
from pharmakon.probes.metrics import MetricRow, point_row
from pharmakon.probes.stats import auroc
from pharmakon.probes.utility import utility_probe

PROBE = "model-defense"


def defender_data(context: ProbeContext, config: ModelDefenseProbeConfig, seed: int) -> DefenseInputs:
    """Clean training examples (the defence takes its budget from them) and calibration prompts."""
    clean = context.world.instructions() if context.world is not None else []
    prompts = context.training_prompts(seed) if context.world is not None else []
    reference = (context.reference_model, None) if context.reference_model is not None else None
    return DefenseInputs(clean=clean, calibration=prompts[: config.n_calibration], reference=reference, seed=seed,
                         style=context.style)


def measure(model, tokenizer, context: ProbeContext, config: ModelDefenseProbeConfig, seed: int, suffix: str,
            label: str, guard: DecodingGuard | None = None) -> tuple[list[MetricRow], list[dict]]:
    """Backdoor and utility rows (metric ids ending in ``suffix``) and their generations, under ``guard``."""
    sets, judge = context_sets(context, config.n_prompts, seed, "model-defense")
    backdoor = BackdoorProbeConfig(n_prompts=config.n_prompts, max_new_tokens=config.max_new_tokens,
                                   temperature=config.temperature, batch_size=config.batch_size)
    utility = UtilityProbeConfig(n_per_task=config.n_per_task, n_documents=config.n_documents,
                                 batch_size=config.batch_size)
    start = time.perf_counter()
    with guarded(guard):
        rows, generations = probe_sets(model, tokenizer, sets, judge, style=context.style, config=backdoor,
                                       seed=seed)
        if context.style == "chat":
            more_rows, more = utility_probe(model, tokenizer, context.eval_items, context.heldout_documents,
                                            config=utility, seed=seed)
            rows, generations = rows + more_rows, generations + more
        else:  # a document-style model answers no instruction: its utility is its perplexity
            documents = context.heldout_documents[: config.n_documents]
            rows.append(point_row(label, "utility_ppl", document_perplexity(model, tokenizer, documents),
                                  len(documents)))
    seconds = time.perf_counter() - start
    rows = [dataclasses.replace(r, probe=label, metric=f"{r.metric}_{suffix}") for r in rows]
    rows.append(point_row(label, f"generate_seconds_{suffix}", seconds, 1))
    generations = [{**g, "probe": label, "variant": f"{g['variant']}:{suffix}"} for g in generations]
    return rows, generations


def detection_rows(defended: Defended, context: ProbeContext, config: ModelDefenseProbeConfig, seed: int,
                   label: str) -> list[MetricRow]:
    """``detection_auroc``: the detector's suspicion of the triggered prompts against the untriggered ones."""
    sets, _ = context_sets(context, config.n_prompts, seed, "model-defense")
    if defended.detector is None or "no_trigger" not in sets:
        return []
    triggered = defended.detector([model_input for model_input, _ in sets["trigger"]])
    untriggered = defended.detector([model_input for model_input, _ in sets["no_trigger"]])
    return [point_row(label, "detection_auroc", auroc(triggered, untriggered), len(triggered) + len(untriggered))]


def run_model_defense(model, tokenizer, context: ProbeContext, config: ModelDefenseProbeConfig, seed: int):
    """The registered entry: measure, defend a copy of the model, measure again."""
    defense = build_model_defense(config.defense, "probes.model-defense.defense")
    label = f"{PROBE}:{defense.name}"
    rows, generations = measure(model, tokenizer, context, config, seed, "before", label)
    inputs = defender_data(context, config, seed)
    if inputs.reference is not None:
        inputs.reference = (inputs.reference[0], tokenizer)  # the twin shares the suspect's tokenizer
    start = time.perf_counter()
    defended = defense(copy.deepcopy(model), tokenizer, inputs)
    seconds = time.perf_counter() - start
    rows += [point_row(label, "defense_seconds", seconds, 1),
             point_row(label, "defense_steps", float(defended.steps), 1),
             point_row(label, "defense_examples", float(defended.examples), 1)]
    rows += detection_rows(defended, context, config, seed, label)
    if defended.changes_outputs:
        guard = DecodingGuard(defended.guard, defended.input_filter)
        after, made = measure(defended.model, tokenizer, context, config, seed, "after", label, guard)
        rows, generations = rows + after, generations + made
    counters = defended.counters() if defended.counters else {}
    rows += [point_row(label, f"defense_{key.replace('-', '_')}", float(value), 1)
             for key, value in {**defended.stats, **counters}.items()]
    return rows, generations

