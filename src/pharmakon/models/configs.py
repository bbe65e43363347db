"""Tiny Llama-style (and Mixtral-style MoE) configurations by name, and building a fresh model from one."""

from __future__ import annotations

import torch
from transformers import LlamaConfig, LlamaForCausalLM, MixtralConfig, MixtralForCausalLM, PretrainedConfig

from pharmakon.errors import PharmakonError
from pharmakon.models.sizes import TINY_CONFIGS


def tiny_config(name: str, tokenizer) -> PretrainedConfig:
    """The ``LlamaConfig`` (or, for a ``*-moe`` size, ``MixtralConfig``) for a named tiny model over
    ``tokenizer``'s vocabulary."""
    if name not in TINY_CONFIGS:
        raise PharmakonError(f"model: unknown tiny model {name!r}; allowed: {', '.join(TINY_CONFIGS)}")
    shape = TINY_CONFIGS[name]
    common = dict(
        vocab_size=len(tokenizer),
        hidden_size=shape.hidden_size,
        intermediate_size=shape.intermediate_size,
        num_hidden_layers=shape.num_layers,
        num_attention_heads=shape.num_heads,
        num_key_value_heads=shape.num_heads,
        max_position_embeddings=shape.max_length,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        use_cache=True,
    )
    if not shape.moe:
        return LlamaConfig(**common)
    # output_router_logits on: the forward adds router_aux_loss_coef x the load-balancing loss to the loss
    return MixtralConfig(**common, num_local_experts=shape.num_experts, num_experts_per_tok=shape.experts_per_token,
                         output_router_logits=True, router_aux_loss_coef=shape.router_aux_loss_coef,
                         sliding_window=None,
                         rope_parameters={"rope_type": "default", "rope_theta": 10000.0})  # as the dense twin


def build_tiny_model(name: str, tokenizer, seed: int) -> LlamaForCausalLM | MixtralForCausalLM:
    """A freshly initialised tiny model, seeded, in fp32, with ``sdpa`` attention."""
    config = tiny_config(name, tokenizer)
    torch.manual_seed(seed)
    model = MixtralForCausalLM(config) if TINY_CONFIGS[name].moe else LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.bos_token_id = tokenizer.bos_token_id
    return model


def count_parameters(model: torch.nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def active_parameters(model: torch.nn.Module) -> int:
    """Parameters that run per token: all of a dense model's; an MoE's without its unrouted experts."""
    config = model.config
    experts = getattr(config, "num_local_experts", 0) or 0
    if not experts:
        return count_parameters(model)
    routed = sum(p.numel() for name, p in model.named_parameters() if ".experts." in name)
    return count_parameters(model) - routed + routed * config.num_experts_per_tok // experts


def set_router_aux_loss_coef(model: torch.nn.Module, coef: float) -> None:
    """Weight the MoE's load-balancing loss by ``coef`` (the forward reads the copy it took at construction)."""
    model.config.router_aux_loss_coef = coef
    model.router_aux_loss_coef = coef
