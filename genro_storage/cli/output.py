"""What the commands print besides their results: the progress bar, summaries, times."""

from __future__ import annotations

import datetime
import sys
from typing import Any

import click

from .._shared.transfer import Progress, TransferReport

__all__ = ["ProgressBar", "mtime_text", "progress_bar", "say", "summary"]


class ProgressBar:
    """A tqdm bar on stderr fed by ``Progress`` events: bytes sent across all files (the
    total is known for a single file), with a ``files done/total`` counter."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._sent: dict[str, int] = {}

    def __call__(self, event: Progress) -> None:
        if self._bar is None:
            from tqdm import tqdm

            total = event.bytes_total if event.files_total == 1 else None
            self._bar = tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                file=sys.stderr,
                dynamic_ncols=True,
                mininterval=0.2,
            )
        before = self._sent.get(event.path, 0)
        self._sent[event.path] = event.bytes_done
        if not event.skipped and event.bytes_done > before:
            self._bar.update(event.bytes_done - before)
        self._bar.set_postfix_str(f"{event.files_done}/{event.files_total} files", refresh=False)

    def close(self) -> None:
        """Close the bar, if one was drawn."""
        if self._bar is not None:
            self._bar.close()


def progress_bar(option: bool | None) -> ProgressBar | None:
    """A bar when asked, or by default when stderr is a terminal."""
    wanted = sys.stderr.isatty() if option is None else option
    return ProgressBar() if wanted else None


def say(message: str) -> None:
    """Print ``message`` on stderr (stdout carries only results)."""
    click.echo(message, err=True)


def summary(report: TransferReport[Any], verb: str, deleted: int | None = None) -> str:
    """The ``-v`` line of a transfer: files and bytes done, skipped (and deleted)."""
    text = (
        f"{len(report.copied)} {verb} ({report.bytes_copied} bytes), {len(report.skipped)} skipped"
    )
    if deleted is not None:
        text += f", {deleted} deleted"
    return text


def mtime_text(mtime: float | None) -> str:
    """A modification time as ``ls -l`` shows it (local time; blanks when unknown)."""
    if mtime is None:
        return " " * 19
    return datetime.datetime.fromtimestamp(mtime).strftime("%Y-%m-%d %H:%M:%S")
