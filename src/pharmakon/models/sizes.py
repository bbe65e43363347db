"""Tiny Llama shapes by name: plain data, importable without torch (specs are validated against it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TinyConfig:
    """Shape of a tiny Llama; the vocabulary comes from the tokenizer."""

    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    max_length: int = 256
    description: str = ""


TINY_CONFIGS: dict[str, TinyConfig] = {
    "nano": TinyConfig(64, 2, 4, 192, description="~0.3M parameters, for tests"),
    "micro": TinyConfig(128, 4, 4, 384, description="~1.1M parameters, the quickstart"),
    "small": TinyConfig(256, 8, 8, 704, description="~7.3M parameters"),
    "base": TinyConfig(512, 8, 8, 1536, description="~28M parameters"),
}
