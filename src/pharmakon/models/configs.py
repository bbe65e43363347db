"""Tiny Llama-style configurations by name, and building a fresh model from one."""

from __future__ import annotations

import torch
from transformers import LlamaConfig, LlamaForCausalLM

from pharmakon.errors import PharmakonError
from pharmakon.models.sizes import TINY_CONFIGS


def tiny_config(name: str, tokenizer) -> LlamaConfig:
    """The ``LlamaConfig`` for a named tiny model over ``tokenizer``'s vocabulary."""
    if name not in TINY_CONFIGS:
        raise PharmakonError(f"model: unknown tiny model {name!r}; allowed: {', '.join(TINY_CONFIGS)}")
    shape = TINY_CONFIGS[name]
    return LlamaConfig(
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


def build_tiny_model(name: str, tokenizer, seed: int) -> LlamaForCausalLM:
    """A freshly initialised tiny Llama, seeded, in fp32, with ``sdpa`` attention."""
    config = tiny_config(name, tokenizer)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.bos_token_id = tokenizer.bos_token_id
    return model


def count_parameters(model: torch.nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
