"""The nodes that bring a real model in, in place of the tiny model's ``tokenizer`` and ``init``.

``real_tokenizer``: the model's own tokenizer, with a pad token distinct from eos and left padding (its chat
template dropped when the spec says ``chat: false``). ``convert``: the model as an HF directory with safetensors
(a GGUF dequantised once), its embeddings grown to that tokenizer. Neither depends on the seed, so every seed,
condition and study of one cache shares one conversion. Both write the same dirs as ``tokenizer`` and ``init``.
"""

from __future__ import annotations

from pathlib import Path

from pharmakon.engine.node_configs import ConvertNode, RealTokenizerNode
from pharmakon.engine.nodes import MODEL_DIR, TOKENIZER_DIR, load_tokenizer


def run_real_tokenizer(config: RealTokenizerNode, inputs: dict, seed: int | None, out: Path) -> None:
    from pharmakon.models.io import ensure_pad_token
    from pharmakon.models.real import load_source_tokenizer
    from pharmakon.models.tokenizer import check_tokenizer

    tokenizer = load_source_tokenizer(Path(config.source.path))
    if not config.chat:
        tokenizer.chat_template = None
    ensure_pad_token(tokenizer)
    tokenizer.init_kwargs["padding_side"] = "left"  # saved only as an init argument; a GGUF's defaults to right
    check_tokenizer(tokenizer)
    tokenizer.save_pretrained(out / TOKENIZER_DIR)


def run_convert(config: ConvertNode, inputs: dict, seed: int | None, out: Path) -> None:
    from pharmakon.models.io import fit_embeddings, save_model
    from pharmakon.models.real import load_source_model

    tokenizer = load_tokenizer(inputs["tokenizer"])
    model = load_source_model(Path(config.source.path))
    fit_embeddings(model, tokenizer)
    model.config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    save_model(model, tokenizer, out / MODEL_DIR)
