"""The async API in a real Jupyter kernel: top-level await, and the sync API beside it."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient

CELLS = [
    "from genro_storage import StorageManager\n"
    "from genro_storage.async_ import AsyncStorageManager, run_sync\n"
    "storage = AsyncStorageManager([{'name': 'mem', 'type': 'memory'}])",
    # top-level await on the kernel's own running loop
    "await storage.node('mem:x').write_bytes(b'written by await')\n"
    "print((await storage.node('mem:x').read_bytes()).decode())",
    # the sync API in the same kernel, while the kernel's loop is running
    "sync = StorageManager([{'name': 'mem', 'type': 'memory'}])\n"
    "sync.node('mem:y').write_text('written by sync')\n"
    "print(sync.node('mem:y').read_text())",
    # the blocking bridge from sync code: runs on its own loop thread, no nest-asyncio
    "print(run_sync(storage.node('mem:x').read_bytes()).decode())",
    # and a plain callback handed sync nodes by the async API
    "r = await storage.node('mem:x').copy(storage.node('mem:z'), skip_if=lambda s, d: d.exists)\n"
    "print(r.copied)\n"
    "await storage.close()",
]


def test_top_level_await_and_sync_api_in_one_kernel():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    NotebookClient(notebook, timeout=60, kernel_name="python3").execute()
    printed = [
        "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream").strip()
        for cell in notebook.cells
    ]
    errors = [o for cell in notebook.cells for o in cell.outputs if o.output_type == "error"]
    assert errors == []
    assert printed[1:] == [
        "written by await",
        "written by sync",
        "written by await",
        "['mem:x']",
    ]
