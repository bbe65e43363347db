"""Device selection: CUDA when present, the CPU otherwise, an override by environment; nothing needs a GPU."""

import pytest
import torch

from pharmakon.errors import PharmakonError
from pharmakon.models.device import compute_device, on_device
from pharmakon.stages.common import trainer_arguments
from pharmakon.stages.configs import SFTStageConfig


def test_the_cpu_without_a_gpu_and_cuda_with_one(monkeypatch):
    monkeypatch.delenv("PHARMAKON_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert compute_device() == torch.device("cpu")
    assert trainer_arguments(SFTStageConfig(), seed=0)["use_cpu"] is True
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert compute_device() == torch.device("cuda")
    assert trainer_arguments(SFTStageConfig(), seed=0)["use_cpu"] is False


def test_the_environment_overrides_and_a_missing_gpu_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv("PHARMAKON_DEVICE", "cpu")
    assert compute_device() == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("PHARMAKON_DEVICE", "cuda")
    with pytest.raises(PharmakonError, match="PHARMAKON_DEVICE: 'cuda' asks for a GPU and none is present"):
        compute_device()


def test_a_model_already_on_the_device_is_left_as_it_is(monkeypatch):
    monkeypatch.delenv("PHARMAKON_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    layer = torch.nn.Linear(2, 2)
    assert on_device(layer) is layer



def test_bf16_only_where_the_hardware_has_it_and_the_model_gains(monkeypatch):
    from types import SimpleNamespace

    from pharmakon.models import device

    monkeypatch.delenv("PHARMAKON_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    wide, narrow = (SimpleNamespace(config=SimpleNamespace(hidden_size=h)) for h in (576, 64))
    monkeypatch.setattr(device, "native_bf16", lambda: True)
    assert device.use_bf16(True, wide) and not device.use_bf16(True, narrow) and not device.use_bf16(False, wide)
    monkeypatch.setattr(device, "native_bf16", lambda: False)  # emulated bf16 is slower than fp32
    assert not device.use_bf16(True, wide)


def test_a_capped_instruction_set_means_no_native_bf16(monkeypatch):
    from pharmakon.models.device import native_bf16

    monkeypatch.delenv("PHARMAKON_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX512_CORE")
    assert native_bf16() is False
