"""How the command line fails: one line on stderr naming the field or the path, exit code 2 -- for bad input, for
faults of the file system, for a damaged table, and for the command line's own parsing errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from typer._click.exceptions import NoArgsIsHelpError, UsageError  # typer vendors click
from typer.core import TyperGroup

from pharmakon.errors import PharmakonError


def fail(message: str) -> None:
    """One line on stderr, exit code 2."""
    Console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True,
                               emoji=False)
    raise typer.Exit(2)


@contextmanager
def one_line() -> Iterator[None]:
    """Bad input and faults of the file system as one line naming the field or the path, exit code 2."""
    import pyarrow as pa

    try:
        yield
    except PharmakonError as exc:
        fail(str(exc))
    except OSError as exc:
        where = exc.filename or "file system"
        fail(f"{where}: {exc.strerror or exc}")
    except pa.ArrowException as exc:
        fail(f"a table cannot be read: {' '.join(str(exc).split())}")


def check_tables(run_dir: Path) -> None:
    """Refuse a run dir whose tables are truncated or not parquet, naming the first such file."""
    import pyarrow.parquet as pq

    for path in sorted(run_dir.glob("*.parquet")):
        try:
            pq.read_metadata(path)
        except Exception:  # noqa: BLE001 -- pyarrow raises several types for a damaged file
            raise PharmakonError(f"{path}: truncated or not a parquet table; rerun with `pharmakon resume "
                                 f"{run_dir}`") from None


def _usage_line(exc: UsageError) -> None:
    """A parsing error of the command line as one line, exit code 2 (not click's boxed usage)."""
    message = " ".join(exc.format_message().split())
    command = exc.ctx.command_path if exc.ctx is not None else "pharmakon"
    Console(stderr=True).print(f"[bold red]error:[/] {escape(command)}: {escape(message)}", highlight=False,
                               soft_wrap=True, emoji=False)
    raise typer.Exit(2)


class OneLineGroup(TyperGroup):
    """The root command: a usage error anywhere below it (``--seed abc``) is one line, like every other error."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except NoArgsIsHelpError:
            raise
        except UsageError as exc:
            _usage_line(exc)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except NoArgsIsHelpError:
            raise
        except UsageError as exc:
            _usage_line(exc)
