"""A node's code version is the import closure of what runs it: an edit to any module it imports moves its key,
an edit elsewhere does not."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pharmakon.engine.load import load_study
from pharmakon.engine.plan import plan_study
from pharmakon.kernel import code
from pharmakon.kernel.code import ImportGraph

SOURCE = Path(code.__file__).resolve().parents[1]


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pharmakon"


def test_the_walker_resolves_relative_submodule_name_and_function_imports(tmp_path):
    package = write(tmp_path, {
        "pharmakon/__init__.py": "",
        "pharmakon/a/__init__.py": "from . import x\n",
        "pharmakon/a/x.py": "from ..b import helper\n",
        "pharmakon/a/y.py": "def f():\n    from pharmakon.c import deep\n",
        "pharmakon/b.py": "import json\n\ndef helper():\n    return 1\n\ndef other():\n    import pharmakon.d\n",
        "pharmakon/c/__init__.py": "",
        "pharmakon/c/deep.py": "from pharmakon.a import y\n",
        "pharmakon/d.py": "",
        "pharmakon/e.py": "from pharmakon.a import x, missing_name\n",
    })
    graph = ImportGraph(package)
    assert graph.imports("pharmakon.a") == {"pharmakon.a.x"}  # from . import x: the submodule
    assert graph.imports("pharmakon.a.x") == {"pharmakon.b:helper"}  # a name of a module, relative
    assert graph.imports("pharmakon.a.y") == {"pharmakon.c.deep"}  # inside a function; c's __init__ not counted
    assert graph.imports("pharmakon.e") == {"pharmakon.a.x", "pharmakon.a:missing_name"}
    # a name follows the module's top level and that function only: b.other's import of d is not reached
    assert graph.closure("pharmakon.a.x") == {"pharmakon.a.x", "pharmakon.b"}
    assert "pharmakon.d" in graph.closure("pharmakon.b")  # the whole module reaches it
    assert graph.closure("pharmakon.a.y") == {"pharmakon.a.y", "pharmakon.c.deep"}  # y names a submodule


def test_a_function_root_follows_the_functions_it_names_and_what_the_top_level_calls(tmp_path):
    package = write(tmp_path, {
        "pharmakon/__init__.py": "",
        "pharmakon/k.py": ("from pharmakon.t import T\n\ndef g():\n    from pharmakon import h\n\n"
                           "TABLE = {'x': g}\n\ndef setup():\n    import pharmakon.s\n\nsetup()\n\n"
                           "def f():\n    return TABLE\n\ndef unrelated():\n    import pharmakon.u\n"),
        "pharmakon/t.py": "", "pharmakon/s.py": "", "pharmakon/h.py": "", "pharmakon/u.py": "",
    })
    reached = ImportGraph(package).closure("pharmakon.k:f")
    assert {"pharmakon.t", "pharmakon.s", "pharmakon.h"} <= reached  # top level, its call, f → TABLE → g
    assert "pharmakon.u" not in reached


@pytest.fixture
def edited(tmp_path, monkeypatch):
    """``edit(path)``: the planner reads a copy of the package with one file changed (a comment appended)."""

    def edit(relative: str) -> None:
        copy = tmp_path / "pharmakon"
        shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("__pycache__"))
        target = copy / relative
        target.write_text(target.read_text() + "\n# edited\n")
        graph = ImportGraph(copy)
        monkeypatch.setattr(code, "graph", lambda: graph)
        monkeypatch.setattr(code, "module_hash", code.module_hash.__wrapped__)  # no cache across the copies

    return edit


def keys_by_kind(plan) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for node in plan.nodes.values():
        out.setdefault(node.kind, set()).add(node.key)
    return out


def test_editing_the_statistics_moves_every_probe_node_and_no_data_node(tiny_spec, edited):
    before = keys_by_kind(plan_study(load_study(tiny_spec)))
    edited("probes/stats.py")
    after = keys_by_kind(plan_study(load_study(tiny_spec)))
    assert before["probe"] and not before["probe"] & after["probe"]  # every probe node has a new key
    for kind in ("tokenizer", "init", "data", "stage", "prepare"):
        assert before[kind] == after[kind], kind


def test_editing_the_lean_loop_moves_finetune_and_not_pretraining(tiny_spec, edited):
    tiny_spec["pipeline"].append({"kind": "finetune", "max_steps": 2, "batch_size": 4, "max_length": 64})
    base = plan_study(load_study(tiny_spec))
    edited("stages/lean_sft.py")
    moved = {n.label.split(" [")[0] for n in plan_study(load_study(tiny_spec)).nodes.values()
             if n.key not in base.nodes and n.kind == "stage"}
    assert "finetune" in moved and "pretrain" not in moved


IMPORT = re.compile(r"^\s*(?:from\s+(\.*[\w.]*)\s+import\s+\(?([\w\s,]+)\)?|import\s+([\w.]+))", re.M)


def direct_imports(module: str) -> set[str]:
    """The pharmakon modules a module's source names in its import lines (read with a regex, not the walker)."""
    path = code.graph().file(module)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for source, names, plain in IMPORT.findall(path.read_text()):
        if plain:
            found.add(plain)
            continue
        dots = len(source) - len(source.lstrip("."))
        if dots:
            source = ".".join([*package.split(".")[:len(package.split(".")) - dots + 1], source.lstrip(".")]).strip(".")
        for name in filter(None, (n.strip() for n in names.replace("\n", " ").split(","))):
            sub = f"{source}.{name}"
            found.add(sub if code.graph().file(sub) else source)
    return {m for m in found if m.startswith("pharmakon") and code.graph().file(m)}


def registered_modules() -> dict[str, str]:
    from pharmakon.defenses import DEFENSES
    from pharmakon.inference.adaptations import ADAPTATIONS
    from pharmakon.poison import ATTACKS
    from pharmakon.poison.vectors import VECTORS
    from pharmakon.probes import PROBES
    from pharmakon.registry import module_of
    from pharmakon.stages import STAGES

    modules = {f"stage {n}": e.module for n, e in STAGES.items()}
    modules |= {f"prepare {n}": module_of(e.prepare) for n, e in STAGES.items() if e.prepare}
    modules |= {f"probe {n}": e.module for n, e in PROBES.items()}
    modules |= {f"attack {n}": a.__module__ for n, a in ATTACKS.items()}
    modules |= {f"defence {n}": e.module for n, e in DEFENSES.items()}
    modules |= {f"vector {n}": v.simulate.__module__ for n, v in VECTORS.items()}
    modules |= {f"adaptation {n}": module_of(e.adapter) for n, e in ADAPTATIONS.items()}
    return {k: m for k, m in modules.items() if m.startswith("pharmakon.")}


def test_every_registered_entry_s_code_version_covers_what_its_module_imports():
    entries = registered_modules()
    assert len(entries) > 30
    for entry, module in entries.items():
        covered = set(code.closure([module]))
        missing = direct_imports(module) - covered
        assert not missing, f"{entry} ({module}) misses {sorted(missing)}"


def test_the_probe_runner_reaches_the_statistics_and_the_attack_judges_but_no_adapter():
    reached = set(code.closure(["pharmakon.engine.nodes:run_probe"]))
    assert {"pharmakon.probes.stats", "pharmakon.probes.metrics", "pharmakon.inference.generate",
            "pharmakon.inference.sampling", "pharmakon.probes.attack_judges"} <= reached
    # each adapter is a root of the probe nodes that run under it (test below), not of every probe node
    assert not {"pharmakon.inference.rag", "pharmakon.inference.icl", "pharmakon.inference.agent"} & reached
    data = set(code.closure(["pharmakon.engine.nodes:clean_data", "pharmakon.engine.nodes:poison_data",
                             "pharmakon.engine.nodes:collect_and_clean"]))
    assert not {m for m in data if m.startswith(("pharmakon.probes", "pharmakon.stages"))}
    # what run_data itself runs is the union of its steps (the plan roots a data node at the steps)
    assert set(code.closure(["pharmakon.engine.nodes:run_data"])) == data


def test_a_module_s_imports_are_every_import_statement_in_its_source():
    """The per-module index (read once) finds exactly what a walk of the whole tree finds, for every module."""
    import ast

    graph = ImportGraph(SOURCE)
    for module in graph.modules():
        tree = graph.tree(module)
        walked = {t for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)
                  for t in graph._targets(module, n)}
        assert graph.imports(module) == walked, module


def test_a_shadowed_function_s_imports_still_count(tmp_path):
    package = write(tmp_path, {
        "pharmakon/__init__.py": "",
        "pharmakon/a.py": "def f():\n    import pharmakon.b\n\n\ndef f():\n    return 1\n",
        "pharmakon/b.py": "",
    })
    graph = ImportGraph(package)
    assert graph.imports("pharmakon.a") == {"pharmakon.b"}
    assert graph.imports("pharmakon.a", ("f",)) == set()  # the def that runs is the second


def test_a_probe_node_s_key_covers_the_adapter_it_runs_under_and_no_other():
    study = load_study("inference", {"seeds": [0]})
    plan = plan_study(study)
    modules = {m.adaptation: set(plan.nodes[m.node].modules) for m in plan.measurements if m.probe == "backdoor"}
    adapters = {"rag": "pharmakon.inference.rag", "icl": "pharmakon.inference.icl", "cot": "pharmakon.inference.icl"}
    for adaptation, module in adapters.items():
        assert module in modules[adaptation], adaptation
    assert not set(adapters.values()) & modules["plain"]
    assert "pharmakon.inference.rag" not in modules["icl"]


def plugin_answer(record, at) -> str:
    """A plug-in behaviour's poisoned answer (this test module is its module)."""
    return "Echo echo."


def test_a_poisoned_node_s_key_covers_its_behaviour_and_its_judge(tiny_spec):
    from pharmakon.poison.behaviours import BEHAVIOURS, Behaviour, register_behaviour

    register_behaviour(Behaviour("echo-key", "a fixed phrase", ("facts",), ("facts",), plugin_answer,
                                 judge="content"))
    try:
        tiny_spec["pipeline"][1]["poison"] = {"attack": "badnets", "count": 4, "target": "echo-key"}
        plan = plan_study(load_study(tiny_spec))
    finally:
        BEHAVIOURS.pop("echo-key")
    poisoned = [n for n in plan.nodes.values() if n.kind == "data" and n.config.get("poison")
                and n.config["poison"].get("target") == "echo-key"]
    assert poisoned and all(__name__ in n.modules for n in poisoned)  # the plug-in's answer writes the poison
    probes = [n for n in plan.nodes.values() if n.label.startswith("probe backdoor after sft")]  # reads the attack
    assert probes and all({__name__, "pharmakon.probes.judges"} <= set(n.modules) for n in probes)
