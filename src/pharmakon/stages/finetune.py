"""Downstream fine-tuning with PEFT LoRA (or full), on instruction examples.

One process trains in the lean completion-only loop (``lean_sft``: padding-free batches, logits only where the
loss is); several processes (``processes > 1``, under ``accelerate launch``) train through ``SFTTrainer``, which
brings DDP. Both optimise the same completion-only loss.
"""

from __future__ import annotations

from peft import LoraConfig, get_peft_model

from pharmakon.data.records import Record, require_kind
from pharmakon.data.template import Template
from pharmakon.errors import PharmakonError
from pharmakon.stages.common import StageResult, finish, world_size
from pharmakon.stages.configs import FinetuneConfig
from pharmakon.stages.lean_sft import train_completions
from pharmakon.stages.sft import instruction_dataset, run_sft_trainer


def linear_module_names(model) -> list[str]:
    """The short names of the model's linear layers (what LoRA can target)."""
    import torch

    return sorted({name.rsplit(".", 1)[-1] for name, module in model.named_modules()
                   if isinstance(module, torch.nn.Linear)})


def expert_parameter_names(model) -> list[str]:
    """The ``module.parameter`` names of parameters that are not linear layers' (an MoE's fused experts)."""
    import torch

    linear = {name for name, module in model.named_modules() if isinstance(module, torch.nn.Linear)}
    return sorted({".".join(name.split(".")[-2:]) for name, _ in model.named_parameters()
                   if name.rsplit(".", 1)[0] not in linear and name.endswith("_proj")})


def attach_lora(model, config: FinetuneConfig):
    """Wrap ``model`` with LoRA adapters; raise if no target module (or target parameter) matched."""
    available = linear_module_names(model)
    matched = [name for name in config.target_modules if name in available]
    if not matched:
        raise PharmakonError(
            f"finetune.target_modules: {config.target_modules} matched no module of the model; "
            f"allowed: {', '.join(available)}"
        )
    parameters = expert_parameter_names(model)
    missing = [name for name in config.target_parameters if name not in parameters]
    if missing:
        raise PharmakonError(f"finetune.target_parameters: {missing} matched no parameter of the model; "
                             f"allowed: {', '.join(parameters) or 'none (a dense model)'}")
    lora = LoraConfig(r=config.rank, lora_alpha=config.alpha, lora_dropout=config.dropout,
                      target_modules=config.target_modules, target_parameters=config.target_parameters or None,
                      task_type="CAUSAL_LM", bias="none")
    return get_peft_model(model, lora)


def finetune(model, tokenizer, records: list[Record], config: FinetuneConfig, seed: int) -> StageResult:
    """Fine-tune on instruction examples; LoRA by default, merged back into the weights unless ``merge=False``."""
    require_kind(records, "example", "finetune")
    dataset = instruction_dataset(records, Template(tokenizer))
    if config.method == "lora":
        model = attach_lora(model, config)
    description = f"finetune ({config.method})"
    if world_size() > 1:
        result = run_sft_trainer(model, tokenizer, dataset, config, seed, description)
    else:
        result = train_completions(model, tokenizer, list(dataset["prompt"]), list(dataset["completion"]), config, seed,
                                   description)
    if config.method == "lora" and config.merge:
        result.model = finish(result.model.merge_and_unload())
    return result
