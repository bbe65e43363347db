"""One rank of a stage trained by several processes: what ``accelerate launch`` runs (``pharmakon.engine.distributed``
writes the payload and launches it)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from pharmakon.engine.node_configs import StageNode
from pharmakon.engine.nodes import train_stage


def main(payload_path: str) -> None:
    """The worker: one rank of the stage's training (``accelerate launch`` sets RANK and WORLD_SIZE)."""
    payload = json.loads(Path(payload_path).read_text())
    config = StageNode.model_validate(payload["config"])
    config.recipe["threads"] = int(os.environ.get("PHARMAKON_WORKER_THREADS", "1"))
    inputs = {k: Path(v) for k, v in payload["inputs"].items()}
    out, rank = Path(payload["out"]), int(os.environ.get("RANK", "0"))
    train_stage(config, inputs, payload["seed"], out, save=rank == 0)
    if rank == 0:
        from accelerate import PartialState

        from pharmakon.data.io import atomic_write_bytes

        state = PartialState()
        record = {"processes": state.num_processes, "backend": state.backend, "type": str(state.distributed_type)}
        atomic_write_bytes(out / "processes.json", json.dumps(record).encode())


if __name__ == "__main__":
    main(sys.argv[1])
