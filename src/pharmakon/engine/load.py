"""Load a study: a preset name, a YAML file or a mapping, then ``--set`` overrides, then validation.

YAML is read with the safe loader only. Every failure is one ``PharmakonError`` line naming the field.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from pharmakon.engine.paths import format_error, set_path
from pharmakon.engine.spec import LINK, Study
from pharmakon.errors import PharmakonError
from pharmakon.registry import load_plugins
from pharmakon.studies.foundations import apply_foundation

PRESET_PACKAGE = "pharmakon.studies.presets"
MAX_SPEC_BYTES = 1_000_000  # a spec file (the largest preset is a few kB)
MAX_SPEC_NODES = 100_000  # values in a spec with YAML aliases expanded (an alias bomb expands past any memory)


def check_size(data: Any, where: str) -> None:
    """Refuse a spec that holds more than ``MAX_SPEC_NODES`` values once its YAML aliases are expanded (counted
    without expanding them, so a billion-laughs spec fails at once; a self-referencing alias too)."""
    count, stack = 0, [data]
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_SPEC_NODES:
            raise PharmakonError(f"{where}: the spec expands to more than {MAX_SPEC_NODES} values (YAML aliases "
                                 "expanded); allowed: a spec of at most that size")
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)


def presets() -> dict[str, Path]:
    """Built-in studies: name → YAML file inside the package."""
    folder = resources.files(PRESET_PACKAGE)
    return {Path(entry.name).stem: Path(str(entry)) for entry in folder.iterdir() if entry.name.endswith(".yaml")}


def preset_questions() -> dict[str, str]:
    """Each preset's one-line question (or its description)."""
    found = {}
    for name, path in sorted(presets().items()):
        data = yaml.safe_load(path.read_text()) or {}
        found[name] = data.get("question") or data.get("description", "")
    return found


def read_yaml(path: Path) -> dict:
    """A YAML mapping from ``path``; malformed YAML is reported with its line and column."""
    try:
        if path.stat().st_size > MAX_SPEC_BYTES:
            raise PharmakonError(f"{path}: the spec is larger than {MAX_SPEC_BYTES} bytes; allowed: at most that")
        raw = path.read_bytes()
    except OSError as exc:
        raise PharmakonError(f"{path}: cannot read the spec ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PharmakonError(f"{path}: not UTF-8 text (byte {exc.start}: {raw[exc.start:exc.start + 1]!r}); "
                             "allowed: a UTF-8 YAML file") from None
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise PharmakonError(f"{where}: malformed YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise PharmakonError(f"{path}: malformed YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise PharmakonError(f"{path}: malformed YAML: nested too deeply") from None
    check_size(data, str(path))
    if not isinstance(data, dict):
        raise PharmakonError(f"{path}: a study spec is a YAML mapping (name:, seeds:, pipeline:, ...)")
    return data


def source_data(source: str | Path | dict) -> dict:
    """The raw mapping of a preset name, a YAML path or a mapping, with its foundation (if it names one) filled in."""
    return apply_foundation(raw_data(source))


def raw_data(source: str | Path | dict) -> dict:
    """The mapping of a preset name, a YAML path or a mapping, as written."""
    if isinstance(source, dict):
        return dict(source)
    text = str(source)
    path = Path(text)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.exists():
            raise PharmakonError(f"study: no such file {text!r}")
        return read_yaml(path)
    found = presets()
    if text not in found:
        raise PharmakonError(f"study: unknown preset {text!r}; allowed: {', '.join(sorted(found))} "
                             "(or a path to a .yaml spec)")
    return read_yaml(found[text])


def parse_set(assignment: str) -> tuple[str, Any]:
    """``path=value`` with the value read as YAML (``0.1`` a float, ``[0, 1]`` a list, ``true`` a bool)."""
    path, sep, text = assignment.partition("=")
    if not sep or not path.strip():
        raise PharmakonError(f"--set {assignment!r}: expected path=value, e.g. pipeline.dpo.beta=0.2")
    try:
        value = yaml.safe_load(text) if text.strip() else ""
    except (yaml.YAMLError, RecursionError):
        raise PharmakonError(f"--set {path}: cannot read the value {text!r}") from None
    check_size(value, f"--set {path}")
    return path.strip(), value


def validate(data: dict) -> Study:
    """A ``Study`` from a raw mapping, or one line naming the first wrong field."""
    try:
        return Study(**data)
    except ValidationError as exc:
        raise PharmakonError(format_error(exc, data, Study)) from None
    except TypeError as exc:
        raise PharmakonError(f"spec: {exc}") from None


def load_study(source: str | Path | dict, overrides: dict[str, Any] | None = None, sets: list[str] = (),
               seed: int | None = None) -> Study:
    """The validated study: source, then ``sets`` (``path=value``), then ``overrides``, then ``seed``."""
    load_plugins()
    if isinstance(source, dict):
        check_size(source, "spec")
    data = source_data(source)
    changes = [parse_set(s) for s in sets] + list((overrides or {}).items())
    if seed is not None:
        changes.append(("seeds", [seed]))
    for path, value in changes:
        data = set_path(data, path, value)
    study = validate(data)
    check_finding_axes(study)
    return study


def check_finding_axes(study: Study) -> None:
    """Refuse a study whose finding reads a sweep column (an axis, or the arms) that the study does not sweep: one
    line, before anything runs (a grid point's own spec, swept away, is not checked)."""
    from pharmakon.studies import missing_axes

    if study.finding is None:
        return
    columns = [path for column in study.sweep.columns for path in column.split(LINK)]
    missing = missing_axes(study.finding, columns)
    if missing:
        what = " and ".join("sweep.arms" if axis == "arm" else f"an axis {axis!r}" for axis in missing)
        raise PharmakonError(f"sweep: finding {study.finding!r} reads {what}; this spec sweeps "
                             f"{', '.join(study.sweep.columns) or 'nothing'}")
