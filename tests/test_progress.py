"""``progress=True`` on copy and move (issue 11, item 4), and the transfer's byte totals
on every ``Progress`` event; on memory, local and S3 (moto), through both APIs.

tqdm writes its text bar to stderr (outside Jupyter ``tqdm.auto`` is the text bar), so
the bar is read back from pytest's ``capsys``.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from tqdm import tqdm

from genro_storage import StorageConfigError, StorageManager
from genro_storage._shared.transfer import Progress

KINDS = ["memory", "local", "s3"]

#: A tree whose bytes are known: 3 files, 4096 + 1000 + 7 bytes.
FILES = {"t/a.bin": 4096, "t/sub/b.bin": 1000, "t/sub/deep/..x": 7}
TOTAL = sum(FILES.values())


@pytest.fixture(params=KINDS)
def pkind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def storage(pkind: str, make_config: Any, open_storage: Any) -> Any:
    """Two mounts of the same kind: 'm' (the source) and 'n'."""
    return open_storage([make_config(pkind), make_config(pkind, "n")])


def is_sync(node: Any) -> bool:
    return isinstance(node._manager, StorageManager)


async def run(node: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    fn = getattr(node, method)
    if is_sync(node):
        return await asyncio.to_thread(fn, *args, **kwargs)
    return await fn(*args, **kwargs)


async def fill(storage: Any) -> None:
    for path, size in FILES.items():
        node = storage.node("m:")
        for name in path.split("/"):
            node = node.child_named(name)
        await run(node, "write_bytes", b"x" * size)


def final_bar(text: str) -> str:
    """The last state tqdm drew (each redraw starts with a carriage return)."""
    frames = [f for f in re.split(r"[\r\n]", text) if f.strip()]
    assert frames, f"no bar was drawn: {text!r}"
    return frames[-1]


def sized(n: int) -> str:
    return tqdm.format_sizeof(n, divisor=1024)


def open_bars() -> list[Any]:
    return list(getattr(tqdm, "_instances", ()))


@pytest.mark.parametrize("verb", ["copy", "move"])
async def test_progress_true_draws_a_bar_over_the_tree_bytes(
    storage: Any, verb: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await fill(storage)
    capsys.readouterr()
    report = await run(storage.node("m:t"), verb, "n:t", progress=True)
    err = capsys.readouterr().err
    assert report.bytes_copied == TOTAL and len(report.copied) == 3
    last = final_bar(err)
    assert f"{sized(TOTAL)}/{sized(TOTAL)}" in last and "100%" in last, last
    assert f"{verb} t" in last
    first = final_bar(err.split("\r")[0] or err)
    assert f"/{sized(TOTAL)}" in first  # the total was known before the first byte
    assert not open_bars()


@pytest.mark.parametrize("verb", ["copy", "move"])
async def test_progress_true_on_one_file_and_inside_one_mount(
    storage: Any, verb: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await fill(storage)
    capsys.readouterr()
    # inside one mount a move is the store's own move, a copy its own copy: no chunks
    await run(storage.node("m:t/a.bin"), verb, "m:t/a2.bin", progress=True)
    last = final_bar(capsys.readouterr().err)
    assert f"{sized(4096)}/{sized(4096)}" in last and "100%" in last, last
    await run(storage.node("m:t/sub"), verb, "m:t/sub2", progress=True)
    last = final_bar(capsys.readouterr().err)
    assert f"{sized(1007)}/{sized(1007)}" in last and "100%" in last, last
    assert not open_bars()


async def test_events_carry_the_tree_totals(storage: Any) -> None:
    await fill(storage)
    events: list[Progress] = []
    await run(storage.node("m:t"), "copy", "n:t", progress=events.append)
    assert events and all(e.tree_bytes_total == TOTAL for e in events)
    assert all(e.files_total == 3 for e in events)
    done = [e.tree_bytes_done for e in events]
    assert done == sorted(done) and done[-1] == TOTAL
    assert all(0 <= e.bytes_done <= (e.bytes_total or 0) for e in events)

    events.clear()  # include/exclude: the totals are those of the files selected
    await run(storage.node("m:t"), "copy", "n:u", include="*.bin", progress=events.append)
    assert {e.tree_bytes_total for e in events} == {5096} and events[-1].tree_bytes_done == 5096

    events.clear()  # skipped files count as done, so a bar still ends at its total
    report = await run(storage.node("m:t"), "copy", "n:t", skip_if="exists", progress=events.append)
    assert len(report.skipped) == 3 and all(e.skipped for e in events)
    assert events[-1].tree_bytes_done == TOTAL == events[-1].tree_bytes_total

    events.clear()
    await run(storage.node("m:t/a.bin"), "copy", "n:one.bin", progress=events.append)
    assert events[-1].tree_bytes_total == 4096 == events[-1].tree_bytes_done


async def test_the_bar_is_closed_when_the_transfer_fails(
    storage: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    await fill(storage)

    def refuse(src: Any, dst: Any) -> bool:
        raise RuntimeError("the skip check failed")

    with pytest.raises(Exception, match="skip check failed"):
        await run(storage.node("m:t"), "copy", "n:t", skip_if=refuse, progress=True)
    assert not open_bars()
    assert f"/{sized(TOTAL)}" in capsys.readouterr().err  # it was drawn, then closed


async def test_the_bar_is_closed_when_an_async_transfer_is_cancelled(
    make_config: Any, pkind: str
) -> None:
    from genro_storage.async_ import AsyncStorageManager

    async with AsyncStorageManager([make_config(pkind), make_config(pkind, "n")]) as storage:
        await fill(storage)
        waiting = asyncio.Event()
        never = asyncio.Event()

        async def hold(src: Any, dst: Any) -> bool:
            waiting.set()
            await never.wait()
            return False

        task = asyncio.ensure_future(
            storage.node("m:t").copy("n:t", skip_if=hold, progress=True, concurrency=1)
        )
        await waiting.wait()
        assert open_bars()  # drawn once the walk knew the total
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not open_bars()
        assert not await storage.node("n:t/a.bin").exists()


async def test_progress_false_draws_nothing_and_bad_values_are_refused(
    storage: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    await fill(storage)
    capsys.readouterr()
    await run(storage.node("m:t"), "copy", "n:t", progress=False)
    assert capsys.readouterr().err == ""
    for bad in ("yes", 1, 0, [print]):
        with pytest.raises(StorageConfigError, match="progress"):
            await run(storage.node("m:t"), "copy", "n:v", progress=bad)
    node = storage.node("n:v")
    assert not (
        await asyncio.to_thread(lambda: node.exists) if is_sync(node) else await node.exists()
    )


@pytest.mark.parametrize("kind", ["memory", "local"])  # names S3's XML cannot carry
async def test_the_bar_label_is_one_safe_line(
    kind: str, make_config: Any, open_storage: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    storage = open_storage([make_config(kind), make_config(kind, "n")])
    node = storage.node("m:").child_named("new\nline\r\x1b[2Jx")
    await run(node, "write_bytes", b"z" * 10)
    capsys.readouterr()
    await run(node, "copy", "n:copied", progress=True)
    err = capsys.readouterr().err
    assert "copy new?line??[2Jx" in final_bar(err) and "\x1b" not in err


KERNEL_CELLS = [
    "from genro_storage import StorageManager\n"
    "from genro_storage.async_ import AsyncStorageManager\n"
    "config = [{'name': 'mem', 'type': 'memory', 'store': 'kernel'}]\n"
    "storage = AsyncStorageManager(config)\n"
    "await storage.node('mem:t/a.bin').write_bytes(b'x' * 5000)\n"
    "await storage.node('mem:t/b/c.bin').write_bytes(b'y' * 1234)",
    "r = await storage.node('mem:t').copy('mem:u', progress=True)",
    "StorageManager(config).node('mem:t').move('mem:v', progress=True)\nawait storage.close()",
]


def test_progress_true_in_jupyter_is_a_widget_over_the_tree_bytes() -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in KERNEL_CELLS]
    root = str(__import__("pathlib").Path(__file__).resolve().parent.parent)
    NotebookClient(
        notebook, timeout=60, kernel_name="python3", resources={"metadata": {"path": root}}
    ).execute()
    errors = [o for cell in notebook.cells for o in cell.outputs if o.output_type == "error"]
    assert errors == []
    for cell in notebook.cells[1:]:  # the async API, then the sync one: a widget each
        views = [
            o
            for o in cell.outputs
            if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
        ]
        assert views, cell.outputs
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert "%|" not in text  # no text bar beside the widget
    state = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    bars = [m["state"] for m in state.values() if m["model_name"] == "FloatProgressModel"]
    assert len(bars) == 2
    assert all(bar["max"] == 6234 and bar["value"] == 6234 for bar in bars), bars
