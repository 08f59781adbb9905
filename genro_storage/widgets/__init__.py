"""The Jupyter explorer: ``StorageExplorer(storage)`` over an ``AsyncStorageManager``.

Needs the ``widgets`` extra (``pip install genro-storage[widgets]``): ipywidgets 8 and
anywidget (the file grid).
Everything runs as tasks on the notebook's own event loop; see ``docs/explorer.md``.
"""

from __future__ import annotations

try:
    import ipywidgets as _ipywidgets  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "genro_storage.widgets needs ipywidgets: pip install 'genro-storage[widgets]'"
    ) from exc

from .action_bar import ActionBar
from .controller import ExplorerController
from .explorer import DOWNLOAD_BYTES, SKIP_CHOICES, StorageExplorer
from .facts_panel import FactsPanel
from .grid import FileGrid
from .jobs import Job, JobList
from .pane import BrowserPane
from .preview import PREVIEW_BYTES, Preview, load_preview, render
from .preview_panel import PreviewPanel
from .status_panel import StatusPanel

__all__ = [
    "DOWNLOAD_BYTES",
    "PREVIEW_BYTES",
    "SKIP_CHOICES",
    "ActionBar",
    "BrowserPane",
    "ExplorerController",
    "FactsPanel",
    "FileGrid",
    "Job",
    "JobList",
    "Preview",
    "PreviewPanel",
    "StatusPanel",
    "StorageExplorer",
    "load_preview",
    "render",
]
