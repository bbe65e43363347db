"""What a person sees while a study runs: a live view on a terminal, plain lines otherwise.

The live view shows nodes done / total with an ETA and the node running; a stage's own progress bar nests below
it on the same console. Off a terminal (CI, a pipe, a log file) each node is one line when it finishes.
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from pharmakon.console import stderr_console


class StudyProgress:
    """Callbacks the executor calls: ``start``, ``node_started``, ``node_done``, ``stop``."""

    def __init__(self, console: Console | None = None, live: bool | None = None, quiet: bool = False) -> None:
        self.console = console or stderr_console()
        self.quiet = quiet
        self.live = self.console.is_terminal if live is None else live
        self.total = self.done = 0
        self._progress: Progress | None = None
        self._task = None
        self._started = time.perf_counter()
        self.lines: list[str] = []

    def start(self, total: int, cached: int) -> None:
        self.total, self.done = total, cached
        self._started = time.perf_counter()
        self.say(f"{total} nodes: {cached} cached, {total - cached} to run")
        if self.live and total > cached:
            self._progress = Progress(
                TextColumn("[bold]nodes"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                TextColumn("eta"), TimeRemainingColumn(), TextColumn("{task.fields[running]}"),
                console=self.console, transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("nodes", total=total, completed=cached, running="")

    def node_started(self, label: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, running=label.replace("[", r"\["))

    def node_done(self, label: str, seconds: float) -> None:
        self.done += 1
        line = f"[{self.done}/{self.total}] {label}: {seconds:.1f}s"
        self.lines.append(line)
        if self._progress is not None:
            self._progress.update(self._task, completed=self.done, running="")
            self._progress.console.print(line, highlight=False, markup=False)
        elif not self.quiet:
            self.console.print(line, highlight=False, markup=False, soft_wrap=True)

    def say(self, message: str) -> None:
        self.lines.append(message)
        if not self.quiet:
            self.console.print(message, highlight=False, markup=False, soft_wrap=True)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
