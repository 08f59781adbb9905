"""The explorer over a folder of hostile names (issue 9): every action stays on its entry
or is refused.

Each test drives the explorer's widget models (as ``test_widgets.py`` does, no browser)
over a folder ``box`` holding files and folders with hostile but legal names (``\\``,
``..`` inside a name, ``:`` and mount-like prefixes, URL and glob characters, unicode,
leading dots, names ending with a space), written by the store's own client (the host
OS for the local mount, the store for the memory mount) because the API may refuse to
create them. Beside ``box`` sit decoys (``victim.txt``, ``escaped.txt``,
``box/victim.txt``) that an action misreading a name would hit.

For each entry and each action the whole store is compared with two states: the state
the action should produce on exactly that entry, and the state before (a refusal, which
must then be reported in the status area). Any other state fails, naming what changed.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from genro_storage._shared.exceptions import StorageError
from genro_storage.async_ import AsyncStorageManager
from genro_storage.backends import memory as memory_backend
from genro_storage.widgets import StorageExplorer

Loc = tuple[str, ...]
State = tuple[dict[Loc, bytes], frozenset[Loc]]

#: Files in ``box`` (each holds a distinct text).
FILES = (
    "x\\..\\victim.txt",
    "..\\..\\escaped.txt",
    "a\\b.txt",
    "with space.txt",
    "trailing ",
    " leading",
    "100%.txt",
    "%2e%2e",
    "#frag",
    "what?.txt",
    "star*.txt",
    "[set].txt",
    "c:d.txt",
    "mem:victim.txt",
    "disk:victim.txt",
    "é.txt",
    "日本語.txt",
    "😀.txt",
    ".hidden",
    "...",
    "..x",
)
#: Folders in ``box`` (each holds ``inner.txt``).
FOLDERS = (
    "junk\\..",
    "..\\..",
    "a\\b",
    "x\\..\\y",
    "....",
    "..dots",
    "mem:",
    "disk:",
    "dir:x",
    "sp ace ",
    "日本",
)
#: Decoys an action that misreads a name would reach.
DECOYS = {("victim.txt",): b"VICTIM", ("escaped.txt",): b"ESCAPED", ("box", "victim.txt"): b"BOX"}

ENTRIES = [(name, False) for name in FILES] + [(name, True) for name in FOLDERS]


def content(name: str) -> bytes:
    """A distinct plain text per name (nothing the preview would escape)."""
    return f"content {hashlib.md5(name.encode()).hexdigest()[:12]}\n".encode()


class Stores:
    """The two mounts' files as their stores hold them, written and read by the
    stores' own clients."""

    def __init__(self, storage: AsyncStorageManager, disk: Path, store: str) -> None:
        self.storage = storage
        self.disk = disk
        self.store = store

    def _memory(self) -> Any:
        return memory_backend._NAMED_STORES[self.store]

    def _backend(self) -> Any:
        """The memory store's own client: its sync backend, where paths are literal."""
        return self.storage.as_sync().node("mem:")._backend

    def clear(self, mount: str) -> None:
        if mount == "disk":
            for item in self.disk.iterdir():
                if item.is_dir() and not item.is_symlink():
                    shutil.rmtree(item)
                else:
                    item.unlink()
        else:
            backend = self._backend()
            for entry in backend.list("").entries:
                backend.delete(entry.path, recursive=True)

    def write(self, mount: str, loc: Loc, data: bytes) -> None:
        if mount == "disk":
            target = self.disk.joinpath(*loc)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        else:
            self._backend().write_bytes("/".join(loc), data)

    def mkdir(self, mount: str, loc: Loc) -> None:
        if mount == "disk":
            self.disk.joinpath(*loc).mkdir(parents=True, exist_ok=True)
        else:
            self._backend().mkdir("/".join(loc), parents=True, exist_ok=True)

    def state(self, mount: str) -> State:
        files: dict[Loc, bytes] = {}
        dirs: set[Loc] = set()
        if mount == "disk":
            for folder, subdirs, names in os.walk(self.disk):
                rel = Path(folder).relative_to(self.disk).parts
                dirs.update((*rel, d) for d in subdirs)
                files.update({(*rel, n): Path(folder, n).read_bytes() for n in names})
        else:
            found = self._memory()
            with found.lock:
                files = {tuple(p.split("/")): e.data for p, e in found.files.items()}
                dirs = {tuple(d.split("/")) for d in found.dirs if d}
        return files, frozenset(dirs)

    def layout(self, mount: str) -> None:
        """``box`` with every hostile entry, the decoys, an empty ``dst`` and ``fresh``."""
        self.clear(mount)
        for loc, data in DECOYS.items():
            self.write(mount, loc, data)
        for name in FILES:
            self.write(mount, ("box", name), content(name))
        for name in FOLDERS:
            self.write(mount, ("box", name, "inner.txt"), content(name))
        for folder in ("dst", "fresh"):
            self.mkdir(mount, (folder,))


def moved(state: State, src: Loc, dst: Loc | None, keep: bool = False) -> State:
    """``state`` after the entry at ``src`` (and all below it) went to ``dst`` (deleted
    when ``None``; copied when ``keep``)."""
    files, dirs = dict(state[0]), set(state[1])
    for loc in list(files):
        if loc[: len(src)] == src:
            data = files[loc] if keep else files.pop(loc)
            if dst is not None:
                files[dst + loc[len(src) :]] = data
    for loc in list(dirs):
        if loc[: len(src)] == src:
            if not keep:
                dirs.discard(loc)
            if dst is not None:
                dirs.add(dst + loc[len(src) :])
    if dst is not None:
        dirs.update(dst[:i] for i in range(1, len(dst)))
    return files, frozenset(dirs)


def describe(got: State, want: State) -> str:
    files = sorted(set(got[0]) ^ set(want[0]))
    changed = sorted(k for k in set(got[0]) & set(want[0]) if got[0][k] != want[0][k])
    dirs = sorted(got[1] ^ want[1])
    return f"files added/removed {files}, rewritten {changed}, folders added/removed {dirs}"


# ------------------------------------------------------------------ fixtures
@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[StorageExplorer, Stores]]:
    disk = tmp_path / "disk"
    disk.mkdir()
    store = f"hostile-{uuid.uuid4().hex[:8]}"
    storage = AsyncStorageManager(
        [
            {"name": "mem", "type": "memory", "store": store},
            {"name": "disk", "type": "local", "path": str(disk)},
        ]
    )
    explorer = StorageExplorer(storage)
    await explorer.wait_idle()
    yield explorer, Stores(storage, disk, store)
    explorer.close()
    await explorer.wait_idle()
    await storage.close()
    memory_backend._NAMED_STORES.pop(store, None)


OTHER = {"mem": "disk", "disk": "mem"}


async def prepare(ex: StorageExplorer, stores: Stores, mount: str, folder: str = "box") -> None:
    """Fresh layout on both mounts; the left pane on ``mount:folder``, the right one on
    the other mount's ``dst``; the left pane active."""
    stores.layout(mount)
    stores.layout(OTHER[mount])
    assert await ex.navigate(f"{OTHER[mount]}:dst", side="right")
    assert await ex.navigate(f"{mount}:{folder}", side="left"), ex.errors[-1:]


def listed(ex: StorageExplorer) -> list[str]:
    return ex.left.names


async def check_action(
    ex: StorageExplorer,
    stores: Stores,
    mount: str,
    name: str,
    act: Callable[[], Any],
    expected: Callable[[dict[str, State]], dict[str, State]],
    problems: list[str],
    label: str,
) -> bool:
    """Run ``act`` on the entry ``name`` of the left pane; the stores must end as
    ``expected(before)`` or, with an error reported, as before. Returns whether the
    action was carried out."""
    before = {m: stores.state(m) for m in ("mem", "disk")}
    errors = len(ex.errors)
    if name not in listed(ex):
        problems.append(f"{mount}: {name!r} is not listed in box ({listed(ex)})")
        return False
    refused = await attempt(ex, lambda: ex.left.select(name)) or await attempt(ex, act)
    after = {m: stores.state(m) for m in ("mem", "disk")}
    want = expected(before)
    refused = refused or len(ex.errors) > errors
    if after == want and not refused:
        return True
    if after == before and refused:
        return False  # refused
    where = [f"{m}: {describe(after[m], want[m])}" for m in ("mem", "disk") if after[m] != want[m]]
    said = ex.errors[errors:]
    problems.append(f"{label} {mount}:box/{name!r}: {'; '.join(where) or 'no change'}; {said}")
    return False


async def attempt(ex: StorageExplorer, act: Callable[[], Any]) -> bool:
    """Run a UI action and wait; whether it was refused by an exception (a callback of
    the frontend would log it; the state must then be unchanged)."""
    try:
        result = act()
        if hasattr(result, "__await__"):
            await result
    except StorageError:
        await ex.wait_idle()
        return True
    await ex.wait_idle()
    return False


MOUNTS = ["mem", "disk"]


# ------------------------------------------------------------------ the actions
@pytest.mark.parametrize("mount", MOUNTS)
async def test_every_hostile_name_is_listed_as_itself(world, mount):
    ex, stores = world
    await prepare(ex, stores, mount)
    assert sorted(listed(ex)) == sorted({*FILES, *FOLDERS, "victim.txt"})
    assert not ex.errors


@pytest.mark.parametrize("mount", MOUNTS)
async def test_preview_and_facts_stay_on_the_entry(world, mount):
    """Selecting an entry previews exactly it: its path in the facts, a file's own
    content, nothing written."""
    ex, stores = world
    problems: list[str] = []
    await prepare(ex, stores, mount)
    for name, folder in ENTRIES:
        ex.left.select()
        await ex.wait_idle()
        errors = len(ex.errors)
        before = stores.state(mount)
        refused = await attempt(ex, lambda n=name: ex.left.select(n))
        node = ex.previewed
        if refused or node is None or len(ex.errors) > errors:  # refused: nothing shown
            if node is not None:
                problems.append(f"{name!r}: an error was reported, yet {node!r} is shown")
            continue
        if node.path != f"box/{name}":
            problems.append(f"{name!r}: the preview shows {node.fullpath!r}")
        if ex.facts_rows.get("path") != f"{mount}:box/{name}":
            problems.append(f"{name!r}: the facts name {ex.facts_rows.get('path')!r}")
        if not folder and content(name).decode().strip() not in ex.preview_html.value:
            problems.append(f"{name!r}: the preview does not show its content")
        if stores.state(mount) != before:
            problems.append(f"{name!r}: previewing changed the store")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("mount", MOUNTS)
async def test_open_up_and_breadcrumbs_stay_on_the_folder(world, mount):
    """Open a hostile folder: its own content shows; its breadcrumb leads back to it; Up
    leads back to ``box``."""
    ex, stores = world
    problems: list[str] = []
    await prepare(ex, stores, mount)
    pane = ex.left
    for name, folder in ENTRIES:
        if not folder:
            continue
        assert await ex.navigate(f"{mount}:box", side="left")
        errors = len(ex.errors)
        refused = await attempt(ex, lambda n=name: pane.select(n))
        refused = refused or await attempt(ex, pane.open_button.click)
        if pane.folder.path == "box" and (refused or len(ex.errors) > errors):
            continue  # refused
        if pane.folder.path != f"box/{name}" or listed(ex) != ["inner.txt"]:
            problems.append(f"open {name!r} shows {pane.folder.fullpath!r}: {listed(ex)}")
            continue
        crumbs = [w for w in pane.breadcrumbs.children if hasattr(w, "click")]
        refused = await attempt(ex, crumbs[-1].click)  # the folder shown
        if pane.folder.path != f"box/{name}" and not refused and len(ex.errors) == errors:
            problems.append(f"the breadcrumb of {name!r} leads to {pane.folder.fullpath!r}")
        refused = await attempt(ex, pane.up_button.click)
        if pane.folder.path != "box" and not refused and len(ex.errors) == errors:
            problems.append(f"Up from {name!r} leads to {pane.folder.fullpath!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("mount", MOUNTS)
async def test_delete_with_confirmation_deletes_only_the_entry(world, mount):
    ex, stores = world
    problems: list[str] = []
    for name, _folder in ENTRIES:
        await prepare(ex, stores, mount)

        def act() -> None:
            ex.delete_button.click()
            ex.confirm_button.click()

        def expected(before: dict[str, State], n: str = name) -> dict[str, State]:
            return {**before, mount: moved(before[mount], ("box", n), None)}

        await check_action(ex, stores, mount, name, act, expected, problems, "delete")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("mount", MOUNTS)
async def test_rename_renames_only_the_entry(world, mount):
    ex, stores = world
    problems: list[str] = []
    for number, (name, _folder) in enumerate(ENTRIES):
        await prepare(ex, stores, mount)
        new = f"renamed-{number}"

        def act(new: str = new) -> None:
            ex.name_input.value = new
            ex.rename_button.click()

        def expected(before: dict[str, State], n: str = name, m: str = new) -> dict[str, State]:
            return {**before, mount: moved(before[mount], ("box", n), ("box", m))}

        await check_action(ex, stores, mount, name, act, expected, problems, "rename")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("move", [False, True], ids=["copy", "move"])
@pytest.mark.parametrize("mount", MOUNTS)
async def test_copy_and_move_to_the_other_pane_land_on_the_entry(world, mount, move):
    ex, stores = world
    problems: list[str] = []
    other = OTHER[mount]
    for name, _folder in ENTRIES:
        await prepare(ex, stores, mount)

        def act() -> Any:
            return ex.copy_selected(move=move)

        def expected(before: dict[str, State], n: str = name) -> dict[str, State]:
            src = before[mount]
            files = {k[1:]: v for k, v in src[0].items() if k[:2] == ("box", n)}
            dirs = {k[1:] for k in src[1] if k[:2] == ("box", n)}
            landed = (
                {**before[other][0], **{("dst", *k): v for k, v in files.items()}},
                before[other][1] | {("dst", *k) for k in dirs},
            )
            left = moved(src, ("box", n), None) if move else src
            return {mount: left, other: (landed[0], frozenset(landed[1]))}

        verb = "move" if move else "copy"
        await check_action(ex, stores, mount, name, act, expected, problems, verb)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("mount", MOUNTS)
async def test_download_gives_the_entry_s_own_bytes(world, mount):
    ex, stores = world
    problems: list[str] = []
    await prepare(ex, stores, mount)
    for name, folder in ENTRIES:
        if folder:
            continue
        errors = len(ex.errors)
        refused = await attempt(ex, lambda n=name: ex.left.select(n))
        refused = refused or await attempt(ex, ex.download_button.click)
        if refused or len(ex.errors) > errors:
            continue  # refused
        payload = base64.b64encode(content(name)).decode()
        if payload not in ex.download_area.value:
            problems.append(f"the download of {name!r} does not carry its bytes")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("mount", MOUNTS)
async def test_mkdir_of_a_hostile_name_makes_exactly_that_folder(world, mount):
    """In an empty folder: the folder is made under exactly that name (or the name
    without the spaces around it, as the name box reads what is typed), or refused."""
    ex, stores = world
    problems: list[str] = []
    names = sorted({*FILES, *FOLDERS})
    for name in names:
        await prepare(ex, stores, mount, folder="fresh")
        before = {m: stores.state(m) for m in ("mem", "disk")}
        errors = len(ex.errors)

        def act(n: str = name) -> None:
            ex.name_input.value = n
            ex.mkdir_button.click()

        refused = await attempt(ex, act) or len(ex.errors) > errors
        after = stores.state(mount)
        want = (before[mount][0], before[mount][1] | {("fresh", name)})
        # the name box drops the spaces around what is typed: that name is fine too
        typed = (before[mount][0], before[mount][1] | {("fresh", name.strip())})
        if after in (want, typed) and not refused:
            continue
        if after == before[mount] and refused:
            continue  # refused
        problems.append(f"mkdir {name!r}: {describe(after, want)}; {ex.errors[errors:]}")
    assert not problems, "\n".join(problems)
