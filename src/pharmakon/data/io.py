"""Save and load records as parquet, JSONL or a Hugging Face ``datasets.Dataset``; writes are atomic."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pharmakon.data.records import RECORD_COLUMNS, Record, record_from_dict, row_problem
from pharmakon.errors import PharmakonError


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temp file in the same directory, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_table_atomic(table: pa.Table, path: Path) -> None:
    """Write an Arrow table as parquet, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def records_to_table(records: Iterable[Record]) -> pa.Table:
    rows = [r.to_dict() for r in records]
    return pa.table({c: pa.array([row[c] for row in rows], type=pa.string()) for c in RECORD_COLUMNS})


def save_records(records: Iterable[Record], path: Path) -> Path:
    """Save records; the format follows the suffix: ``.parquet`` or ``.jsonl``."""
    path = Path(path)
    if path.suffix == ".parquet":
        write_table_atomic(records_to_table(records), path)
    elif path.suffix == ".jsonl":
        text = "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in records)
        atomic_write_bytes(path, text.encode("utf-8"))
    else:
        raise PharmakonError(f"dataset path {str(path)!r}: the suffix must be .parquet or .jsonl")
    return path


def load_records(path: Path, kind: str | None = None) -> list[Record]:
    """Load records from ``.parquet`` or ``.jsonl``; an empty or missing file, or a line that is not a record (of
    ``kind`` when given: its fields present, strings, non-empty), is a clear error naming the first bad line."""
    path = Path(path)
    if not path.is_file():
        raise PharmakonError(f"dataset path {str(path)!r}: no such file")
    where = f"dataset {str(path)!r}"
    rows: list[tuple[int, object]] = []
    try:
        if path.suffix == ".parquet":
            rows = list(enumerate(pq.read_table(path).to_pylist(), start=1))
        elif path.suffix == ".jsonl":
            text = path.read_bytes().decode("utf-8")
            for number, line in enumerate(text.splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    rows.append((number, json.loads(line)))
                except (json.JSONDecodeError, RecursionError) as exc:
                    raise PharmakonError(f"{where} line {number}: not valid JSON "
                                         f"({getattr(exc, 'msg', 'nested too deeply')})") from None
        else:
            raise PharmakonError(f"dataset path {str(path)!r}: the suffix must be .parquet or .jsonl")
    except UnicodeDecodeError as exc:
        raise PharmakonError(f"{where}: not UTF-8 text (byte {exc.start}); allowed: UTF-8 JSON lines") from None
    except pa.ArrowException as exc:
        raise PharmakonError(f"{where}: not a readable parquet table ({' '.join(str(exc).split())[:120]})") from None
    if not rows:
        raise PharmakonError(f"{where} is empty: it needs at least one record")
    unit = "row" if path.suffix == ".parquet" else "line"
    for number, row in rows:
        problem = row_problem(row, kind)
        if problem:
            raise PharmakonError(f"{where} {unit} {number}: {problem}")
    return [record_from_dict(row) for _, row in rows]  # type: ignore[arg-type]


def checked_records(path: str | Path, kind: str) -> tuple[Record, ...]:
    """A user's data file as records of ``kind``, every line checked; read once per version of the file."""
    stat = Path(path).stat()
    return _checked_records(str(path), kind, stat.st_mtime_ns, stat.st_size)


@cache
def _checked_records(path: str, kind: str, mtime: int, size: int) -> tuple[Record, ...]:
    return tuple(load_records(Path(path), kind=kind))


@cache
def file_sha256(path: str, mtime: int, size: int) -> str:
    """The content hash of a data file (keyed by its version, so an edit is a new hash)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def to_hf_dataset(records: Iterable[Record]):
    """Records as a ``datasets.Dataset`` with every record column (provenance included)."""
    from datasets import Dataset

    return Dataset(records_to_table(records))


def from_hf_dataset(dataset) -> list[Record]:
    """Records from a ``datasets.Dataset`` with record columns."""
    return [record_from_dict(row) for row in dataset]
