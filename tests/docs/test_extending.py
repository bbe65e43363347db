"""docs/extending.md, run as written: its Python blocks in order, its YAML block saved under the name it gives."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "extending.md"
BLOCK = re.compile(r"```(python|yaml)\n(.*?)```", re.DOTALL)


def blocks() -> list[tuple[str, str]]:
    return BLOCK.findall(PAGE.read_text())


@pytest.mark.slow
def test_the_extending_page_runs_as_written(tmp_path, monkeypatch, capsys):
    from pharmakon.defenses import DEFENSES
    from pharmakon.inference.adaptations import ADAPTATIONS
    from pharmakon.poison import ATTACKS
    from pharmakon.poison.vectors import VECTORS
    from pharmakon.studies import FINDINGS

    monkeypatch.chdir(tmp_path)
    module = types.ModuleType("docs_extending")  # the page's code runs as a module would
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace = module.__dict__
    try:
        for language, code in blocks():
            if language == "yaml":
                name = re.match(r"# file: (\S+)", code).group(1)
                (tmp_path / name).write_text(code)
            else:
                exec(compile(code, str(PAGE), "exec"), namespace)  # our own page, not user input
    finally:
        for registry, name in ((ATTACKS, "refusal_trigger"), (FINDINGS, "refusal-demo"), (DEFENSES, "blocklist"),
                               (VECTORS, "review-queue"), (ADAPTATIONS, "system-note")):
            registry.pop(name, None)
    printed = capsys.readouterr().out
    assert "refusals with the trigger: poisoned" in printed
    assert "blocklist: dropped" in printed and "review-queue:" in printed and "under the system note:" in printed
    assert (tmp_path / "runs" / "refusal-demo" / "report.html").exists()


def test_the_page_has_the_blocks_the_test_runs():
    kinds = [language for language, _ in blocks()]
    assert kinds.count("python") == 9 and kinds.count("yaml") == 1
