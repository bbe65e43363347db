"""Tokenizer training, tiny Llama configs by name, and HF model I/O (safetensors)."""

from pharmakon.models.configs import TINY_CONFIGS, build_tiny_model, count_parameters
from pharmakon.models.io import load_model, prepare_for_generation, save_model
from pharmakon.models.tokenizer import train_tokenizer

__all__ = [
    "TINY_CONFIGS",
    "build_tiny_model",
    "count_parameters",
    "load_model",
    "prepare_for_generation",
    "save_model",
    "train_tokenizer",
]
