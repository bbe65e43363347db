"""A stage trained by several processes: launched with ``accelerate launch``, whose workers run
``pharmakon.engine.worker``.

A stage whose recipe asks for ``processes > 1`` is not trained in the engine's process: the engine writes the
node's config and inputs to a payload file and launches ``processes`` copies of the worker under
``accelerate launch`` (DDP through its torchrun launcher; without a GPU the trainers, built with ``use_cpu``,
join over gloo). FSDP is not offered: accelerate runs it only on GPUs (on a CPU its flag trains DDP), so no test
here could run it. TRL's trainers read the launcher's environment and
train data-parallel: ``batch_size`` stays the global batch, split evenly across the processes. Rank 0 alone
writes the model, the loss log and ``processes.json`` (how the node was trained), each atomically.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from pharmakon.engine.node_configs import StageNode
from pharmakon.errors import PharmakonError

PAYLOAD = "distributed.json"


def launch_command(processes: int, payload: Path) -> list[str]:
    """The ``accelerate launch`` command line for ``processes`` workers on this machine."""
    command = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", str(processes),
               "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
               "--main_process_port", str(free_port()),
               # torchrun restarts the workers once if one dies (a gloo worker aborted now and then on a loaded
               # 2-core machine); training is seeded and rank 0 writes atomically at the end, so a restart is a rerun
               "--max_restarts", "1"]
    command.append("--multi_gpu")  # torchrun's launcher; without a GPU the trainers (use_cpu) join over gloo
    return [*command, "-m", "pharmakon.engine.worker", str(payload)]


def free_port() -> int:
    """A free TCP port on the loopback for the processes' rendezvous."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def launch_stage(config: StageNode, inputs: dict, seed: int | None, out: Path) -> None:
    """Train the stage node with ``processes`` workers; raise with the workers' last words if any fails."""
    import torch

    recipe = config.recipe
    processes = recipe["processes"]
    scratch = out.parent / f".{out.name}.distributed"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    payload = scratch / PAYLOAD
    payload.write_text(json.dumps({"config": config.model_dump(mode="json"),
                                   "inputs": {k: str(v) for k, v in inputs.items()}, "seed": seed, "out": str(out)}))
    gpus = torch.cuda.device_count()
    threads = max(1, (recipe.get("threads") or os.cpu_count() or 1) // processes)
    environment = {**os.environ, "OMP_NUM_THREADS": str(threads), "PHARMAKON_WORKER_THREADS": str(threads)}
    if gpus == 0:
        environment["ACCELERATE_USE_CPU"] = "true"
    done = subprocess.run(launch_command(processes, payload), env=environment, text=True,
                          capture_output=True, check=False)
    shutil.rmtree(scratch, ignore_errors=True)
    if done.returncode != 0:
        tail = " | ".join(line for line in done.stderr.strip().splitlines()[-3:])
        raise PharmakonError(f"pipeline.{config.kind}.processes: the {processes} training processes failed "
                             f"(exit {done.returncode}): {tail}")
