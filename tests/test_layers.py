"""The layers and the absence of import circles, as import-linter contracts (``[tool.importlinter]`` in
pyproject.toml): a broken contract fails the suite with import-linter's report of the offending imports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pharmakon

ROOT = Path(__file__).resolve().parents[1]


def lint(config: Path) -> subprocess.CompletedProcess:
    source = str(Path(pharmakon.__file__).resolve().parents[1])
    return subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()",
                           "--no-cache", str(config)], cwd=ROOT, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": source})


def test_the_import_contracts_are_kept():
    done = lint(ROOT / "pyproject.toml")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "3 kept, 0 broken" in done.stdout


def test_an_upward_import_breaks_the_layers_contract(tmp_path):
    config = tmp_path / "upward.toml"  # the same layers with report below studies, as studies once imported it
    text = (ROOT / "pyproject.toml").read_text()
    config.write_text(text[text.index("[tool.importlinter]"):].replace('"report",\n    "studies",',
                                                                       '"studies",\n    "report",'))
    done = lint(config)
    assert done.returncode != 0 and "pharmakon.report is not allowed to import pharmakon.studies" in done.stdout


def test_the_kernel_contract_is_checked(tmp_path):
    config = tmp_path / "kernel.toml"  # forbid the kernel a package it does import (atomic writes from data)
    text = (ROOT / "pyproject.toml").read_text()
    config.write_text(text[text.index("[tool.importlinter]"):].replace('"pharmakon.world", "pharmakon.models",',
                                                                       '"pharmakon.data", "pharmakon.models",'))
    done = lint(config)
    assert done.returncode != 0 and "pharmakon.kernel.cache -> pharmakon.data.io" in done.stdout
