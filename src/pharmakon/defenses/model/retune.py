"""Clean re-tuning and fine-pruning: the model-side defences that train on a budget of clean examples.

Clean re-tuning fine-tunes the suspect model on clean examples (BackdoorLLM's "fine-tuning" defence; Qi et al.
2023 found that further tuning erodes what earlier tuning instilled). Fine-pruning (Liu et al. 2018, "Fine-Pruning:
Defending Against Backdooring Attacks on Deep Neural Networks", https://arxiv.org/abs/1805.12185) first prunes
the neurons least active on clean data — a backdoor tends to live in neurons the clean task leaves dormant — then
fine-tunes on the same clean data. Here a neuron is one intermediate unit of a Llama MLP (the input of
``down_proj``); its activity is its mean absolute value over the clean examples' tokens; pruning zeroes its
column of ``down_proj`` and keeps it zero through the fine-tuning.

Both train through the project's lean completion-only loop (``stages.lean_sft``), as ``sft`` does.
"""

from __future__ import annotations

import torch

from pharmakon.data.template import Template
from pharmakon.defenses.model.base import Defended, DefenseInputs, ModelDefense, clean_budget
from pharmakon.defenses.model.configs import FinePruningConfig, RetuneConfig, TuningFields
from pharmakon.stages.configs import SFTStageConfig
from pharmakon.stages.lean_sft import packed_batch, tokenise_examples, train_completions


def stage_config(config: TuningFields) -> SFTStageConfig:
    """The SFT recipe a tuning defence trains with (the probe node's thread count is kept)."""
    return SFTStageConfig(learning_rate=config.learning_rate, batch_size=config.batch_size, epochs=config.epochs,
                          max_steps=config.max_steps, max_length=config.max_length, threads=torch.get_num_threads())


def completions(tokenizer, records) -> tuple[list[str], list[str]]:
    """Templated prompts and responses of clean examples, as ``sft`` trains on them."""
    template = Template(tokenizer)
    return [template.chat_prompt(r.prompt) for r in records], [r.response for r in records]


def retune(model, tokenizer, records, config: TuningFields, seed: int, description: str) -> tuple[object, int]:
    """The model fine-tuned on ``records``; and the optimizer steps taken."""
    prompts, responses = completions(tokenizer, records)
    for parameter in model.parameters():
        parameter.requires_grad_(True)
    result = train_completions(model, tokenizer, prompts, responses, stage_config(config), seed, description)
    return result.model, len(result.log)


class CleanRetuning(ModelDefense):
    """Fine-tune the whole model on ``n_examples`` clean examples."""

    name = "retune"
    needs_clean = True
    config: RetuneConfig

    def defend(self, model, tokenizer, inputs: DefenseInputs) -> Defended:
        records = clean_budget(inputs.clean, self.config.n_examples, inputs.seed)
        model, steps = retune(model, tokenizer, records, self.config, inputs.seed, "defence: retune")
        return Defended(model, steps=steps, examples=len(records))


def mlp_projections(model) -> list[torch.nn.Linear]:
    """Each decoder layer's MLP ``down_proj`` (Llama-style models)."""
    layers = model.model.layers
    return [layer.mlp.down_proj for layer in layers]


@torch.no_grad()
def neuron_activity(model, tokenizer, records, max_length: int) -> list[torch.Tensor]:
    """Mean absolute activation of every MLP neuron (the input of ``down_proj``) over the examples' tokens."""
    projections = mlp_projections(model)
    sums = [torch.zeros(p.in_features) for p in projections]
    count = [0]

    def hook(index):
        def record(_module, args):
            sums[index] += args[0].detach().float().abs().sum(dim=(0, 1)).cpu()
            if index == 0:
                count[0] += args[0].shape[1]
        return record

    handles = [p.register_forward_pre_hook(hook(i)) for i, p in enumerate(projections)]
    model.eval()
    try:
        prompts, responses = completions(tokenizer, records)
        examples = tokenise_examples(tokenizer, prompts, responses, max_length)
        device = next(model.parameters()).device
        for start in range(0, len(examples), 16):
            batch = packed_batch(examples[start:start + 16], device)
            model(input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False,
                  logits_to_keep=1)
    finally:
        for handle in handles:
            handle.remove()
    return [s / max(count[0], 1) for s in sums]


def prune(model, activity: list[torch.Tensor], fraction: float, layers: int | None) -> list[torch.Tensor]:
    """Zero the ``down_proj`` columns of the least active ``fraction`` of neurons in the last ``layers`` layers;
    the pruned indices per layer (empty where a layer was left alone)."""
    projections = mlp_projections(model)
    first = 0 if layers is None else max(0, len(projections) - layers)
    pruned = []
    for index, (projection, score) in enumerate(zip(projections, activity, strict=True)):
        if index < first:
            pruned.append(torch.empty(0, dtype=torch.long))
            continue
        chosen = torch.argsort(score)[: max(1, int(fraction * score.numel()))]
        with torch.no_grad():
            projection.weight[:, chosen.to(projection.weight.device)] = 0
        pruned.append(chosen)
    return pruned


class FinePruning(ModelDefense):
    """Prune the MLP neurons least active on clean examples, then fine-tune on them (Liu et al. 2018)."""

    name = "fine-pruning"
    needs_clean = True
    config: FinePruningConfig

    def defend(self, model, tokenizer, inputs: DefenseInputs) -> Defended:
        records = clean_budget(inputs.clean, self.config.n_examples, inputs.seed)
        activity = neuron_activity(model, tokenizer, records[: self.config.n_activation], self.config.max_length)
        pruned = prune(model, activity, self.config.fraction, self.config.layers)
        projections = mlp_projections(model)
        masks = []
        for projection, chosen in zip(projections, pruned, strict=True):
            mask = torch.ones_like(projection.weight)
            mask[:, chosen.to(mask.device)] = 0
            masks.append(mask)
        handles = [p.weight.register_hook(lambda grad, m=m: grad * m) for p, m in zip(projections, masks,
                                                                                    strict=True)]
        try:
            model, steps = retune(model, tokenizer, records, self.config, inputs.seed, "defence: fine-pruning")
        finally:
            for handle in handles:
                handle.remove()
        with torch.no_grad():  # pruned stays pruned
            for projection, mask in zip(mlp_projections(model), masks, strict=True):
                projection.weight.mul_(mask.to(projection.weight.dtype))
        n_pruned = sum(int(c.numel()) for c in pruned)
        return Defended(model, steps=steps, examples=len(records), stats={"pruned": float(n_pruned)})
