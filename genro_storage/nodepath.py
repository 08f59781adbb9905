"""The ``pathlib`` vocabulary of ``StorageNode`` (sync): thin over the logic shared with
the async API (``_shared/pathops.py``, ``_shared/globbing.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ._shared import operations as ops
from ._shared import pathops
from ._shared.globbing import Globber, parse, parse_recursive
from ._shared.pagedwalk import Walker, check_walk_page_size
from ._shared.pathops import PurePathMixin
from ._shared.sansio import drive_sync
from .backends.base import StorageBackend

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["PathMixin"]


class PathMixin(PurePathMixin[StorageBackend]):
    """``glob``, ``rglob``, ``walk``, ``iterdir``, ``touch``, ``rename``, ``unlink`` and
    ``rmdir`` for the sync API (the no-I/O members are ``PurePathMixin``'s)."""

    __slots__ = ()

    def glob(self, pattern: str) -> Iterator[Self]:
        """The nodes below this folder matching ``pattern`` (``*``, ``?``, ``[...]``,
        ``**``; a trailing ``/`` keeps folders), as in ``pathlib``. Lazy: folders are
        listed page by page as the iterator advances, each at most once."""
        return self._glob(Globber(self, parse(pattern, "glob")))

    def rglob(self, pattern: str) -> Iterator[Self]:
        """``glob('**/' + pattern)``: matches at any depth below this folder."""
        return self._glob(Globber(self, parse_recursive(pattern)))

    def _glob(self, globber: Globber) -> Iterator[Self]:
        while (found := drive_sync(globber.g_step())) is not None:
            for path in found:
                yield self._at(path)

    def walk(
        self, top_down: bool = True, page_size: int | None = None
    ) -> Iterator[tuple[Self, list[str], list[str]]]:
        """``(folder, dir_names, file_names)`` for this folder and every one below, as
        ``pathlib.Path.walk``: top-down, editing ``dir_names`` in place prunes the walk.
        A missing node or a file yields nothing; a physical folder is entered once.

        ``page_size=N`` holds one page at a time instead of whole folders: a folder
        comes as one tuple per page of at most ``N`` entries, its subfolders walked
        right after the page naming them (bottom-up: before it); memory stays
        O(N x depth) however big the folders (see ``_shared/pagedwalk.py``)."""
        flag = pathops.flag("walk", "top_down", top_down)
        size = check_walk_page_size(page_size)
        walker = Walker(self, flag, size)
        return self._walk(walker)

    def _walk(self, walker: Walker) -> Iterator[tuple[Self, list[str], list[str]]]:
        while (item := drive_sync(walker.g_next())) is not None:
            folder, dir_names, file_names = item
            yield self._at(folder), dir_names, file_names
            walker.descend(folder, dir_names)  # after the caller's turn: it may prune

    def iterdir(self) -> Iterator[Self]:
        """The entries of this folder, sorted by name, page by page (``pathlib``'s name
        for ``children()``): lazy, it holds one page (1,000 entries) at a time, so its
        memory does not grow with the folder (``children()`` builds a list)."""
        cursor = None
        while True:
            page = self._backend.list(self._path, 1000, cursor)
            good, _ = ops.listed(self._path, page.entries)
            for entry in good:
                yield self._at(entry.path)
            if (cursor := page.cursor) is None:
                return

    def touch(self, exist_ok: bool = True) -> Self:
        """Create an empty file here if nothing is there; an existing one is left as it
        is (its mtime set to now on local disk), or refused with ``exist_ok=False``
        (``StorageExistsError``). Returns the node holding the file."""
        return drive_sync(pathops.touch(self, pathops.flag("touch", "exist_ok", exist_ok)))

    def rename(self, target: Self | str) -> Self:
        """Move this file or folder to ``target`` on the same mount (a node or
        ``'mount:path'``) and return the node it now is. An existing file at ``target``
        is replaced; a folder with entries is not (``StorageExistsError``). Another
        mount is refused: use ``move()``."""
        return drive_sync(pathops.rename(self, pathops.rename_target(self, target)))

    def unlink(self, missing_ok: bool = False) -> None:
        """Delete this file; a folder is refused (use ``rmdir()``)."""
        drive_sync(pathops.unlink(self, pathops.flag("unlink", "missing_ok", missing_ok)))

    def rmdir(self) -> None:
        """Remove this folder if it is empty; one with entries is refused."""
        drive_sync(pathops.rmdir(self))
