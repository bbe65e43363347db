"""A node's code version: the hash of every pharmakon module its implementation imports, transitively.

The imports are read from the package's source with ``ast`` (nothing is imported, so planning stays fast and
torch stays unloaded): ``import pharmakon.a``, ``from pharmakon.a import b`` (``b`` a submodule or a name),
relative imports and imports inside functions all count. A root is a module (``"pharmakon.probes.stats"``) or a
function of one (``"pharmakon.engine.nodes:run_data"``): then only the module's top-level imports and those of
that function (and of the module's functions it names) are followed, so the kernel module that runs every kind
of node does not tie a data node to probe code. ``from pharmakon.a import b`` with ``b`` a submodule counts
``a.b`` only, not the package ``a``'s ``__init__``; a package named as such counts its ``__init__.py``. Modules
outside the package (a plugin's) count their own source, not their imports. The graph is read once per process.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PACKAGE = "pharmakon"
FUNCTION = ":"


@dataclass(frozen=True)
class _Symbol:
    """A top-level function, class or assigned name: the imports in its body and the module's names it uses."""

    imports: frozenset[str]
    names: tuple[str, ...]


@dataclass(frozen=True)
class _ModuleIndex:
    """One module's imports, read once: everywhere; in its top-level statements (and the names they call); per
    top-level symbol."""

    everywhere: frozenset[str]
    top_imports: frozenset[str]
    top_called: tuple[str, ...]
    symbols: dict[str, _Symbol]

    @classmethod
    def read(cls, tree: ast.Module, targets: Callable[[ast.Import | ast.ImportFrom], list[str]]) -> _ModuleIndex:
        defined: dict[str, list[ast.stmt]] = {}  # a name's statements: its def, or its assignments (the first)
        top: list[ast.stmt] = []
        shadowed: list[ast.stmt] = []  # a def whose name a later def takes: its imports still count everywhere
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                shadowed += [s for s in defined.get(node.name, []) if not isinstance(s, ast.Assign | ast.AnnAssign)]
                defined[node.name] = [node]
                continue
            top.append(node)
            if isinstance(node, ast.Assign | ast.AnnAssign):
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    if isinstance(target, ast.Name):
                        defined.setdefault(target.id, [node])

        def walked(statements: list[ast.stmt]) -> tuple[frozenset[str], list[ast.AST]]:
            nodes = [n for statement in statements for n in ast.walk(statement)]
            found = {t for n in nodes if isinstance(n, ast.Import | ast.ImportFrom) for t in targets(n)}
            return frozenset(found), nodes

        symbols = {}
        for name, statements in defined.items():
            found, nodes = walked(statements)
            symbols[name] = _Symbol(found, tuple(n.id for n in nodes if isinstance(n, ast.Name) and n.id in defined))
        top_imports, top_nodes = walked(top)
        called = tuple(n.func.id for n in top_nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Name))
        everywhere = top_imports.union(walked(shadowed)[0], *(symbol.imports for symbol in symbols.values()))
        return cls(everywhere, top_imports, called, symbols)


class ImportGraph:
    """The pharmakon modules under ``root`` (the package's folder) and the imports between them."""

    def __init__(self, root: Path, package: str = PACKAGE) -> None:
        self.root, self.package = Path(root), package
        self._trees: dict[str, ast.Module | None] = {}
        self._indexes: dict[str, _ModuleIndex | None] = {}
        self._closures: dict[str, frozenset[str]] = {}

    def file(self, module: str) -> Path | None:
        """The source file of ``module`` (a package's ``__init__.py``), or None outside the package."""
        if module != self.package and not module.startswith(self.package + "."):
            return None
        base = self.root.joinpath(*module.split(".")[1:])
        for path in (base / "__init__.py", base.with_suffix(".py")):
            if path.is_file():
                return path
        return None

    def modules(self) -> list[str]:
        """Every module of the package."""
        names = []
        for path in sorted(self.root.rglob("*.py")):
            parts = [self.package, *path.relative_to(self.root).with_suffix("").parts]
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
        return names

    def source(self, module: str) -> bytes:
        path = self.file(module)
        return path.read_bytes() if path else b""

    def tree(self, module: str) -> ast.Module | None:
        if module not in self._trees:
            path = self.file(module)
            self._trees[module] = ast.parse(self.source(module), str(path)) if path else None
        return self._trees[module]

    def _targets(self, module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
        """What one import statement of ``module`` loads: whole modules (``a.b``) and names of one (``a.b:f``)."""
        if isinstance(node, ast.Import):
            return [alias.name for alias in node.names if self.file(alias.name)]
        if node.level:  # relative: from the module's package (a package is its own)
            path = self.file(module)
            parts = module.split(".") if path and path.name == "__init__.py" else module.split(".")[:-1]
            base = ".".join([*parts[:len(parts) - node.level + 1], *([node.module] if node.module else [])])
        else:
            base = node.module or ""
        if not self.file(base):
            return []
        submodules = [f"{base}.{a.name}" for a in node.names if self.file(f"{base}.{a.name}")]
        names = [a.name for a in node.names if not self.file(f"{base}.{a.name}")]
        return submodules + ([f"{base}{FUNCTION}{','.join(names)}"] if names else [])

    def _index(self, module: str) -> _ModuleIndex | None:
        """The module's imports and names, read in one walk of its tree (``imports`` then only combines them)."""
        if module not in self._indexes:
            tree = self.tree(module)
            self._indexes[module] = None if tree is None else _ModuleIndex.read(
                tree, lambda node: self._targets(module, node))
        return self._indexes[module]

    def imports(self, module: str, names: tuple[str, ...] | None = None) -> set[str]:
        """What ``module`` imports: anywhere in it (``names`` None), or what loading it and using ``names`` runs —
        its top-level statements (with the functions they call) and those names' bodies, with the module's
        functions, classes and constants they name."""
        index = self._index(module)
        if index is None:
            return set()
        if names is None:
            return set(index.everywhere)
        found = set(index.top_imports)
        todo, seen = [n for n in (*names, *index.top_called) if n in index.symbols], set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            found |= index.symbols[name].imports
            todo += index.symbols[name].names
        return found

    def closure(self, root: str) -> frozenset[str]:
        """The modules of ``root`` (a module, or ``module:name[,name]``) and of all it imports, transitively."""
        if root not in self._closures:
            done: dict[str, set[str] | None] = {}  # module → names followed (None: the whole module)
            todo = [root]
            while todo:
                target = todo.pop()
                module, _, listed = target.partition(FUNCTION)
                names = None if not _ else set(filter(None, listed.split(",")))
                have = done.get(module, set()) if module in done else set()
                if module in done and (have is None or names is not None and names <= have):
                    continue
                done[module] = None if names is None else have | names
                todo += self.imports(module, None if names is None else tuple(sorted(done[module])))
            self._closures[root] = frozenset(done)
        return self._closures[root]


@cache
def graph() -> ImportGraph:
    """This process's graph of the installed pharmakon source (read lazily, once)."""
    return ImportGraph(Path(__file__).resolve().parents[1])


@cache
def module_hash(module: str) -> str:
    """sha256 of the module's source: the package's file, or (for a plugin) the file ``find_spec`` finds."""
    source = graph().source(module) if graph().file(module) else None
    if source is None:
        try:
            spec = importlib.util.find_spec(module)
            origin_text = spec.origin if spec else None
        except (ImportError, ValueError):  # e.g. a plugin defined in __main__
            origin_text = getattr(sys.modules.get(module), "__file__", None)
        if not origin_text or not Path(origin_text).is_file():
            return "unknown:" + module
        source = Path(origin_text).read_bytes()
    return hashlib.sha256(module.encode() + b"\0" + source).hexdigest()


def closure(roots: list[str]) -> tuple[str, ...]:
    """Every module the roots (modules or ``module:function``) import, transitively, sorted."""
    return tuple(sorted(set().union(*(graph().closure(r) for r in roots)))) if roots else ()


def code_version(modules: list[str]) -> str:
    """One hash over the named modules' sources (the modules of a node's closure)."""
    return hashlib.sha256("".join(module_hash(m) for m in sorted(set(modules))).encode()).hexdigest()[:16]
