"""The study's ``model``: a tiny Llama by name, a built-in real model by name, or a local model by path."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pharmakon.engine.paths import NESTED
from pharmakon.errors import PharmakonError
from pharmakon.models.sizes import TINY_CONFIGS


class ModelSpec(BaseModel):
    """A tiny Llama-style model by name, with a byte-level BPE of ``vocab_size`` trained on the clean world; or a
    real model: a built-in one by name (``smollm2-135m-instruct``) or a local HF directory or GGUF file by
    ``path``. A real model brings its own tokenizer, so ``vocab_size`` is refused for it; ``chat`` (default: when
    the model has a chat template) formats every prompt with its chat template. Nothing is ever downloaded."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, description="a tiny model or a built-in real model; default: micro")
    path: str | None = Field(default=None, description="a local HF model directory or .gguf file")
    vocab_size: int | None = Field(default=None, ge=300, description="tiny models only; default: 2048")
    chat: bool | None = Field(default=None, description="real models only: use the model's chat template")

    @property
    def real(self) -> bool:
        return self.name not in TINY_CONFIGS

    @property
    def moe(self) -> bool:
        """A mixture-of-experts model: a ``*-moe`` tiny size, or a real model whose config counts experts."""
        if not self.real:
            return TINY_CONFIGS[self.name].moe
        config = self.source() / "config.json"
        if not config.is_file():  # a GGUF file
            return False
        fields = json.loads(config.read_text())
        return bool(fields.get("num_local_experts") or fields.get("num_experts"))

    @property
    def label(self) -> str:
        return self.name or Path(self.path or "").name

    def source(self) -> Path:
        """The real model's file or directory."""
        from pharmakon.models.real import BUILTIN_MODELS, builtin_path

        return builtin_path(self.name) if self.name in BUILTIN_MODELS else Path(self.path or "")

    @model_validator(mode="after")
    def _resolve(self) -> ModelSpec:
        from pharmakon.models.real import BUILTIN_MODELS, check_source, has_chat_template

        if self.path is None and self.name is not None and self.name not in TINY_CONFIGS | BUILTIN_MODELS:
            if not Path(self.name).expanduser().exists():
                raise ValueError(f"{NESTED}name: unknown model {self.name!r}; allowed: "
                                 f"{', '.join([*TINY_CONFIGS, *BUILTIN_MODELS])}, or a local HF model directory "
                                 "or .gguf file as model.path (nothing is downloaded)")
            self.name, self.path = None, self.name  # a local path given as the name
        if self.path is not None and self.name is not None:
            raise ValueError(f"{NESTED}path: give model.name or model.path, not both")
        if self.path is None and self.name is None:
            self.name = "micro"
        if not self.real:
            self.vocab_size = self.vocab_size or 2048
            if self.chat is not None:
                raise ValueError(f"{NESTED}chat: only for a real model; tiny models use plain role tokens")
            return self
        if self.vocab_size is not None:
            raise ValueError(f"{NESTED}vocab_size: a real model brings its own tokenizer; remove vocab_size")
        if self.path is not None:
            self.path = str(Path(self.path).expanduser().resolve())
        try:
            source = self.source()
            check_source(source)
            if source.is_dir():
                from pharmakon.models.manifest import read_manifest, verify_checkpoint

                if read_manifest(source) is not None:
                    verify_checkpoint(source)  # a shipped foundation: its files as built
        except PharmakonError as exc:
            raise ValueError(f"{NESTED}{str(exc).removeprefix('model.')}") from None
        if self.chat is None:
            self.chat = has_chat_template(source)
        elif self.chat and not has_chat_template(source):
            raise ValueError(f"{NESTED}chat: {source.name} has no chat template; set chat: false for plain prompts")
        return self
