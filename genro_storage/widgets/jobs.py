"""Copy/move jobs: one row per job with a progress bar, a state line and a Cancel button."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import ipywidgets as ipw

from .. import Progress, TransferReport
from ..async_ import AsyncStorageNode
from ._format import esc, human_size, message, plural, show

__all__ = ["Job", "JobList"]

#: Seconds between two progress redraws of one job (the last event always redraws).
REDRAW_INTERVAL = 0.1


class Job:
    """One job. ``unit`` is ``'bytes'`` for a file, ``'files'`` for a tree; any other
    unit (``'entries'``: a listing) has no total and shows counts (``count()``).

    ``state`` goes ``'queued'`` -> ``'running'`` -> ``'done'`` | ``'failed'`` |
    ``'cancelled'``. ``task`` is the asyncio task doing the work; ``cancel()`` (or the
    Cancel button) cancels it: a file whose copy had not landed is left as it was (a
    cancelled copy never lands later); the files of a tree finished before stay.
    """

    def __init__(self, title: str, unit: str, total: float | None = None) -> None:
        title = show(title)  # names in it are shown escaped (bidi overrides...)
        self.title = title
        self.unit = unit
        self.state = "queued"
        self.task: asyncio.Task[Any] | None = None
        self.report: TransferReport[AsyncStorageNode] | None = None
        self.error: BaseException | None = None
        self.events = 0
        self.files_done = 0
        self.files_total: int | None = None
        self._last_draw = 0.0
        self.bar = ipw.FloatProgress(
            value=0,
            min=0,
            max=float(total) if total else 1.0,
            bar_style="info",
            layout=ipw.Layout(width="220px", flex="0 0 auto"),
        )
        self.title_label = ipw.Label(title, layout=ipw.Layout(flex="1 1 auto", min_width="0"))
        self.detail = ipw.Label("queued", layout=ipw.Layout(width="260px", flex="0 0 auto"))
        self.cancel_button = ipw.Button(
            description="Cancel",
            icon="times",
            button_style="warning",
            tooltip="Cancel this job; the destination is left as it was",
            layout=ipw.Layout(width="100px", flex="0 0 auto"),
        )
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.widget = ipw.HBox(
            [self.title_label, self.bar, self.detail, self.cancel_button],
            layout=ipw.Layout(align_items="center"),
        )
        self.widget.add_class("gs-job")

    def __repr__(self) -> str:
        return f"<Job {self.title!r} {self.state} {self.bar.value:.0f}/{self.bar.max:.0f}>"

    @property
    def done(self) -> bool:
        """Whether the job has ended (done, failed or cancelled)."""
        return self.state in ("done", "failed", "cancelled")

    @property
    def status_line(self) -> str:
        """The state line shown next to the bar (``'done: 1 file copied, 12 B'``...)."""
        text: str = self.detail.value
        return text

    @property
    def fraction(self) -> float:
        """Progress between 0 and 1."""
        return self.bar.value / self.bar.max if self.bar.max else 0.0

    def start(self, task: asyncio.Task[Any] | None = None) -> None:
        """Mark the job running; ``task`` (when given) is the task that ``cancel()``
        cancels."""
        if task is not None:
            self.task = task
            task.add_done_callback(self._task_ended)
        self.state = "running"
        self.detail.value = "starting…"

    def _task_ended(self, task: asyncio.Task[Any]) -> None:
        # A task cancelled before it ever ran never reaches its own finish(): end here.
        if self.done:
            return
        if task.cancelled():
            self.finish("cancelled")
        elif task.exception() is not None:
            self.finish("failed", error=task.exception())

    def cancel(self) -> None:
        """Cancel the job's task (no-op when it is finished)."""
        if self.task is not None and not self.task.done():
            self.task.cancel()
            self.detail.value = "cancelling…"

    def on_progress(self, event: Progress) -> None:
        """The ``progress=`` callback of ``copy``/``move`` (called on the loop)."""
        self.events += 1
        self.files_done = max(self.files_done, event.files_done)
        self.files_total = event.files_total
        if self.unit == "bytes":
            total, done = event.bytes_total, event.bytes_done
            text = f"{human_size(done)} of {human_size(total) if total is not None else '?'}"
        else:
            total, done = event.files_total, event.files_done
            text = f"{done:,} of {plural(total, 'file')}"
        if total:
            text += f" ({100 * min(done, total) // total}%)"
        if event.skipped:
            text += " (skipped)"
        final = total is not None and done >= total
        now = time.monotonic()
        if not final and now - self._last_draw < REDRAW_INTERVAL:
            return
        self._last_draw = now
        if total:
            self.bar.max = float(total)
        self.bar.value = float(min(done, total)) if total else 0.0
        self.detail.value = text

    def count(self, done: int, what: str) -> None:
        """Progress of a job whose total is unknown (a listing): ``done`` so far."""
        self.events += 1
        self.detail.value = f"{done:,} {what}"

    def finish(
        self,
        state: str,
        report: TransferReport[AsyncStorageNode] | None = None,
        error: BaseException | None = None,
    ) -> None:
        """Mark the job ended and show how."""
        self.state = state
        self.report = report
        self.error = error
        self.cancel_button.disabled = True
        self.cancel_button.layout.visibility = "hidden"  # keeps the columns aligned
        if state == "done":
            self.bar.value = self.bar.max
            self.bar.bar_style = "success"
            if report is not None:
                parts = [f"{plural(len(report.copied), 'file')} copied"]
                if report.skipped:
                    parts.append(f"{len(report.skipped):,} skipped")
                parts.append(human_size(report.bytes_copied))
                self.detail.value = "done: " + ", ".join(parts)
            else:
                self.detail.value = "done"
        elif state == "cancelled":
            self.bar.bar_style = "warning"
            if self.unit not in ("bytes", "files"):
                self.detail.value = "cancelled"
            elif self.unit == "files":
                of = f" of {self.files_total:,}" if self.files_total is not None else ""
                self.detail.value = (
                    f"cancelled after {self.files_done:,}{of} files (none half-written)"
                )
            else:
                self.detail.value = "cancelled (destination left as it was)"
        else:
            self.bar.bar_style = "danger"
            self.detail.value = f"failed: {message(error)}" if error is not None else "failed"


class JobList(ipw.VBox):  # type: ignore[misc]  # ipywidgets ships no type hints
    """The list of jobs, newest first, with a button to clear the finished ones."""

    def __init__(self) -> None:
        self.items: list[Job] = []
        self.header = ipw.HTML('<span class="gs-title">Jobs</span>')
        self.clear_button = ipw.Button(
            description="Clear finished",
            icon="eraser",
            tooltip="Remove finished jobs from the list",
            layout=ipw.Layout(width="140px"),
        )
        self.clear_button.on_click(lambda _b: self.clear_finished())
        self.empty = ipw.HTML('<span class="gs-muted">No jobs yet.</span>')
        self.rows = ipw.VBox([self.empty])
        super().__init__(
            [ipw.HBox([self.header, self.clear_button], layout=ipw.Layout(align_items="center")),
             self.rows],
        )  # fmt: skip
        self.add_class("gs-jobs")

    def add(self, job: Job) -> Job:
        """Show ``job`` at the top of the list; returns it."""
        self.items.insert(0, job)
        self._redraw()
        return job

    def clear_finished(self) -> None:
        """Remove the jobs that have ended."""
        self.items = [j for j in self.items if not j.done]
        self._redraw()

    def _redraw(self) -> None:
        self.rows.children = [j.widget for j in self.items] or [self.empty]

    def summary_html(self) -> str:
        """A one-line escaped summary (used in tests and logs)."""
        return esc(", ".join(f"{j.title}: {j.state}" for j in self.items))
