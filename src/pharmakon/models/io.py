"""Save and load models and tokenizers as Hugging Face directories with safetensors; nothing executes on load."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

from pharmakon.errors import PharmakonError


def save_model(model, tokenizer, directory: Path) -> Path:
    """Write config, ``model.safetensors`` and the tokenizer into ``directory`` atomically (temp dir, rename)."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}."))
    try:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        if directory.exists():
            shutil.rmtree(directory)
        os.replace(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory


def _load_local(path: Path, auto_class, dtype: torch.dtype, what: str):
    """A model of ``auto_class`` and its tokenizer from a local HF directory: offline, safetensors, no remote code."""
    path = Path(path)
    if not (path / "config.json").is_file():
        raise PharmakonError(f"{what} {str(path)!r}: not a Hugging Face model directory (no config.json)")
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True, trust_remote_code=False)
    model = auto_class.from_pretrained(path, local_files_only=True, trust_remote_code=False, use_safetensors=True,
                                       dtype=dtype)
    return model, tokenizer


def load_model(path: Path, dtype: torch.dtype = torch.float32):
    """Load any HF causal LM and its tokenizer from a local directory: offline, safetensors only, no remote code."""
    model, tokenizer = _load_local(path, AutoModelForCausalLM, dtype, "model.path")
    prepare_for_generation(model, tokenizer)
    return model, tokenizer


def load_reward_model(path: Path, dtype: torch.dtype = torch.float32):
    """Load a reward model (one-label sequence classifier) and its tokenizer: offline, safetensors, no remote code."""
    model, tokenizer = _load_local(path, AutoModelForSequenceClassification, dtype, "reward model")
    if model.config.num_labels != 1:
        raise PharmakonError(f"reward model {str(path)!r}: {model.config.num_labels} labels, a reward model has 1")
    return model.eval(), tokenizer


def ensure_pad_token(tokenizer) -> bool:
    """Left padding and a pad token distinct from eos: adds ``<pad>`` when the tokenizer lacks one (many chat
    models pad with eos, and generation could not tell padding from the end). True when a token was added."""
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is not None and tokenizer.pad_token_id != tokenizer.eos_token_id:
        return False
    before = len(tokenizer)
    tokenizer.add_special_tokens({"pad_token": "<pad>"})
    if tokenizer.pad_token_id == tokenizer.eos_token_id:
        raise PharmakonError("tokenizer: could not give the model a pad token distinct from eos")
    return len(tokenizer) > before


def fit_embeddings(model, tokenizer) -> None:
    """Grow the embeddings to the tokenizer's vocabulary; new rows are the mean of the old (deterministic; the
    pad token is masked out of attention and loss)."""
    old = model.get_input_embeddings().weight.shape[0]
    if len(tokenizer) <= old:
        return
    model.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    with torch.no_grad():
        for layer in {id(m): m for m in (model.get_input_embeddings(), model.get_output_embeddings())
                      if m is not None}.values():
            layer.weight[old:] = layer.weight[:old].mean(dim=0)


def prepare_for_generation(model, tokenizer) -> None:
    """Left padding, a pad token distinct from eos, and the KV cache on (the Trainer turns it off)."""
    ensure_pad_token(tokenizer)
    fit_embeddings(model, tokenizer)
    model.config.pad_token_id = tokenizer.pad_token_id
    model.config.use_cache = True
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
