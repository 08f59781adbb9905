"""``walk(page_size=N)`` of both node classes: a walk that holds one page of each folder
on its way, never a whole folder, written once as logic (see ``sansio``).

``walk()`` without ``page_size`` follows ``pathlib.Path.walk``: one
``(folder, dir_names, file_names)`` per folder, so a folder of a million entries is a
million names in memory at once. With ``page_size`` a folder is yielded as one tuple
per page of at most ``page_size`` entries (its folders and files together, in name
order), the first one even when the folder is empty:

* top-down, the subfolders named in a tuple (those the caller leaves in ``dir_names``)
  are walked right after it, before the folder's next page is listed;
* bottom-up, they are walked before it.

Either way the walk holds one page per folder of the path it is in (and, for loops, the
physical place of each folder entered): memory is O(page_size x depth), whatever the
size of the folders. The same rules as every walk apply (``operations.walk_page``):
only entries exactly one segment below their folder, a physical folder entered once.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import paths
from .exceptions import StorageConfigError
from .globbing import g_walk_page, kept_dirs
from .operations import AnyNode, WalkPage
from .sansio import Logic

__all__ = ["Walker", "check_walk_page_size"]


def check_walk_page_size(page_size: object) -> int | None:
    """``walk()``'s ``page_size``: an integer >= 1, or ``None`` for one tuple per folder."""
    if page_size is None:
        return None
    if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
        shown = repr(page_size) if isinstance(page_size, int) else type(page_size).__name__
        raise StorageConfigError(f"walk() page_size must be an integer >= 1 or None, not {shown}")
    return page_size


@dataclass
class _Next:
    """A page of ``folder`` still to list (``cursor`` ``None``: its first page)."""

    folder: str
    cursor: str | None = None


#: A tuple ready to be yielded (bottom-up: after the subfolders it names).
_Ready = tuple[str, list[str], list[str]]


class Walker:
    """The state of one ``walk()``, in ``pathlib.Path.walk`` order (top-down: each folder
    before its subfolders, which the caller may prune by editing ``dir_names`` in place;
    bottom-up: each folder after them). ``page_size=None`` gives one tuple per folder
    (its pages listed and joined first); ``page_size=N`` one tuple per page (see the
    module). Both forms are this one class: ``g_next`` for the next tuple, ``descend``
    after the caller's turn."""

    def __init__(self, node: AnyNode, top_down: bool, page_size: int | None = None) -> None:
        self.node = node
        self.backend = node._backend
        self.top_down = top_down
        self.page_size = page_size
        self.root = node.path
        self.seen = {self.backend.location(node.path)}
        self.stack: list[_Next | _Ready] = [_Next(node.path)]
        self.enterable: frozenset[str] = frozenset()

    def g_next(self) -> Logic[tuple[str, list[str], list[str]] | None]:
        """The next ``(folder path, dir_names, file_names)``, or ``None`` at the end."""
        while self.stack:
            item = self.stack.pop()
            if isinstance(item, tuple):
                return item
            page = yield from self._g_page(item)
            if page is None:
                continue
            if page.cursor is not None:  # the folder's next page comes after this one's
                self.stack.append(_Next(item.folder, page.cursor))
            dir_names = sorted(paths.basename(e.path) for e in page.dirs + page.loops)
            file_names = [paths.basename(e.path) for e in page.files]
            if item.cursor is not None and not dir_names and not file_names:
                continue  # a later page of entries that cannot be acted on: nothing to say
            enterable = frozenset(paths.basename(e.path) for e in page.dirs)
            if self.top_down:
                self.enterable = enterable
                return item.folder, dir_names, file_names
            self.stack.append((item.folder, dir_names, file_names))
            self.stack += [
                _Next(paths.child_path(item.folder, d))
                for d in reversed(dir_names)
                if d in enterable
            ]
        return None

    def descend(self, folder: str, dir_names: list[str]) -> None:
        """Top-down, after the caller's turn: walk the subfolders still named in
        ``dir_names`` (names the listing did not give as folders are ignored) before the
        folder's next page."""
        if not self.top_down:
            return
        names = kept_dirs(dir_names, self.enterable)
        self.stack += [_Next(paths.child_path(folder, d)) for d in reversed(names)]

    def _g_page(self, item: _Next) -> Logic[WalkPage | None]:
        """The next page of ``item``'s folder; without a page size, all its pages as one."""
        if self.page_size is not None:
            return (
                yield from g_walk_page(
                    self.node, item.folder, item.cursor, self.seen, self.page_size
                )
            )
        whole = WalkPage()
        cursor = None
        while True:
            page = yield from g_walk_page(self.node, item.folder, cursor, self.seen)
            if page is None:
                return None
            whole.files += page.files
            whole.dirs += page.dirs
            whole.loops += page.loops
            if (cursor := page.cursor) is None:
                return whole
