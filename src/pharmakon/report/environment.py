"""What a run ran on: Python, machine and package versions. Versions come from package metadata, so nothing heavy
(torch) is imported."""

from __future__ import annotations

import os
import platform
import socket
from importlib import metadata
from pathlib import Path

PACKAGES: tuple[str, ...] = ("pharmakon", "torch", "transformers", "trl", "peft", "datasets", "pydantic")


def package_version(name: str) -> str | None:
    """The installed version of ``name``, or None where it is not installed."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux), else what ``platform`` knows."""
    cpuinfo = Path("/proc/cpuinfo")
    try:
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.lower().startswith(("model name", "hardware")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> dict:
    """Python, platform, machine, CPU, host name and the versions of the packages a run depends on."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": cpu_model(),
        "cpu_count": os.cpu_count(),
        "hostname": socket.gethostname(),
        "packages": {name: package_version(name) for name in PACKAGES},
    }
