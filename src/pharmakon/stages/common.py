"""What every stage shares: its result type, seeding and threads, a rich progress bar, TRL arguments."""

from __future__ import annotations

import os
import random
import tempfile
from dataclasses import dataclass, field

import numpy as np
import torch
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from transformers import PrinterCallback, TrainerCallback

from pharmakon.console import stderr_console
from pharmakon.models.device import compute_device, use_bf16
from pharmakon.stages.configs import StageConfig


@dataclass
class StageResult:
    """A trained model and its training log (one row per optimiser step)."""

    model: torch.nn.Module
    log: list[dict[str, float]] = field(default_factory=list)

    @property
    def losses(self) -> list[float]:
        return [row["loss"] for row in self.log if "loss" in row]


def available_threads() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def seed_everything(seed: int, threads: int | None = None) -> None:
    """Seed every generator a stage touches and fix its thread count (local and Ray give equal values)."""
    silence_libraries()
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.set_num_threads(threads or available_threads())


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.3f}"),
        TimeRemainingColumn(),
        transient=True,
        console=stderr_console(),
        disable=not stderr_console().is_terminal,  # off a terminal, the engine prints one line per node instead
    )


class RichProgressCallback(TrainerCallback):
    """A rich progress bar for HF/TRL trainers, and the per-step loss log."""

    def __init__(self, description: str) -> None:
        self.description = description
        self.log: list[dict[str, float]] = []
        self._progress: Progress | None = None
        self._task = None

    def on_train_begin(self, args, state, control, **kwargs):
        self._progress = progress_bar()
        self._progress.start()
        self._task = self._progress.add_task(self.description, total=state.max_steps, loss=float("nan"))

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            self.log.append({"step": float(state.global_step), "loss": float(logs["loss"])})
            if self._progress is not None:
                self._progress.update(self._task, loss=float(logs["loss"]))

    def on_step_end(self, args, state, control, **kwargs):
        if self._progress is not None:
            self._progress.update(self._task, completed=state.global_step)

    def on_train_end(self, args, state, control, **kwargs):
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def world_size() -> int:
    """Training processes of this stage (``accelerate launch`` sets WORLD_SIZE; 1 in the engine's process)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def trainer_arguments(config: StageConfig, seed: int, model=None) -> dict:
    """Keyword arguments shared by every TRL config: CPU-friendly, silent, no checkpoints, log every step."""
    arguments = {
        "output_dir": tempfile.mkdtemp(prefix="pharmakon-trainer-"),
        "per_device_train_batch_size": config.batch_size // world_size(),
        "num_train_epochs": config.epochs,
        "max_steps": config.max_steps or -1,
        "learning_rate": config.learning_rate,
        "lr_scheduler_type": "cosine",
        "warmup_steps": config.warmup_ratio,
        "weight_decay": 0.0,
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": [],
        "disable_tqdm": True,
        "seed": seed,
        "data_seed": seed,
        "bf16": use_bf16(config.bf16, model),
        "use_cpu": compute_device().type == "cpu",
        "dataloader_num_workers": 0,
        "max_length": config.max_length,
        "gradient_checkpointing": False,  # TRL defaults to on: it trades compute for memory small models don't need
    }
    return arguments


def quiet_trainer(trainer) -> None:
    """Our progress bar and loss log replace the Trainer's printed dicts."""
    trainer.remove_callback(PrinterCallback)


def silence_libraries() -> None:
    """Keep the console for our own progress: no datasets bars, no transformers info or deprecation chatter."""
    import warnings

    import datasets
    import transformers

    datasets.disable_progress_bars()
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()  # e.g. "Writing model shards" on save
    warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")
    warnings.filterwarnings("ignore", category=UserWarning, module="trl")


def finish(model: torch.nn.Module) -> torch.nn.Module:
    """Leave a trained model ready to generate: eval mode, KV cache back on (the Trainer turns it off)."""
    model.eval()
    model.config.use_cache = True
    return model
