"""Where models compute: a CUDA GPU when one is present (bf16 autocast there), else the CPU.

``PHARMAKON_DEVICE`` overrides the choice (``cpu``, ``cuda``, ``cuda:1``). Nothing requires a GPU: on a machine
without one every path is the CPU path.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from pharmakon.errors import PharmakonError


def compute_device() -> torch.device:
    """The device models train and run on."""
    chosen = os.environ.get("PHARMAKON_DEVICE", "").strip()
    if chosen:
        device = torch.device(chosen)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise PharmakonError(f"PHARMAKON_DEVICE: {chosen!r} asks for a GPU and none is present; allowed: cpu")
        return device
    return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")


def on_device(model):
    """``model`` moved to the compute device (a no-op on the CPU)."""
    device = compute_device()
    return model if next(model.parameters()).device == device else model.to(device)


def native_bf16() -> bool:
    """Whether the compute device has bf16 arithmetic units: a bf16-capable GPU, or a CPU with AVX512-BF16 or
    AMX that oneDNN may use (``ONEDNN_MAX_CPU_ISA`` can forbid them). CPUs without them emulate bf16 matmuls,
    which made SmolLM2 LoRA steps 3.4x slower than fp32 on such a machine."""
    device = compute_device()
    if device.type == "cuda":
        try:
            return torch.cuda.is_bf16_supported()
        except (AssertionError, RuntimeError):  # a CPU build of torch asked about CUDA
            return False
    isa = (os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("DNNL_MAX_CPU_ISA") or "ALL").upper()
    if isa not in ("ALL", "DEFAULT") and not any(unit in isa for unit in ("BF16", "AMX", "FP16")):
        return False
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


# On a 2-core AMX CPU, 40 pretraining steps: nano (hidden 64) 1.8x faster in fp32 (autocast's casts cost more than
# its matmuls save), micro (128) 1.1x faster in fp32, small (256) 1.2x faster in bf16. micro stays in bf16: the
# quickstart's and the presets' published figures were measured in bf16, and fp32 moves them (the quickstart's
# pretrain asr_trigger 0.66 in bf16, 0.81 in fp32, on one AMX machine).
BF16_MIN_HIDDEN = 128


def use_bf16(requested: bool, model=None) -> bool:
    """bf16 autocast where a stage asks for it, the hardware computes bf16 natively and, on a CPU, the model is
    wide enough (hidden size >= ``BF16_MIN_HIDDEN``) for bf16 matmuls to pay for autocast's casts; else fp32."""
    if not (requested and native_bf16()):
        return False
    if compute_device().type == "cuda":
        return True
    hidden = getattr(getattr(model, "config", None), "hidden_size", None)
    return hidden is None or hidden >= BF16_MIN_HIDDEN


def autocast(enabled: bool) -> torch.autocast:
    """bf16 autocast on the compute device (the CPU's own bf16 kernels, or the GPU's)."""
    return torch.autocast(compute_device().type, dtype=torch.bfloat16, enabled=enabled)
