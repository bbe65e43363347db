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
