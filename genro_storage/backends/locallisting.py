"""Paged listings of a local folder that read the folder once per listing, not once
per page (``FolderListings``), for ``LocalBackend.list``."""

from __future__ import annotations

import heapq
import os
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from .._shared.info import check_cursor, page_after
from .._shared.temporaries import TEMP_PREFIX, is_temp_name

__all__ = ["FolderListings"]


@dataclass
class _Snapshot:
    """The names of one folder, read once for a listing that is paged through; sorted
    when a page after the first is asked for (the first needs only the smallest)."""

    folder: str
    stamp: tuple[int, ...]
    names: list[str]
    expires: float = 0.0
    ordered: bool = False

    def sorted_names(self) -> list[str]:
        if not self.ordered:
            self.names = sorted(self.names)  # a new list: a reader of the old one is safe
            self.ordered = True
        return self.names


def _read_names(folder: str) -> list[str]:
    """The folder's names, without the library's temporaries (in the order of the OS).

    ``os.listdir`` (names only: no entry objects) and one search of the joined names
    for the temporaries' prefix (no name holds a NUL) keep this close to the cost of
    reading the folder: 100,000 names in about 32 ms here, against 36 ms for the
    names of ``scandir`` and 4 ms more for a per-name ``startswith``."""
    names = os.listdir(folder)
    joined = "\0".join(names)
    if joined.startswith(TEMP_PREFIX) or f"\0{TEMP_PREFIX}" in joined:
        names = [name for name in names if not is_temp_name(name)]
    return names


def _stamp(folder: str) -> tuple[int, ...]:
    """What changes when an entry is added to or removed from ``folder``."""
    st = os.stat(folder)
    return st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns


class FolderListings:
    """Page through a folder reading it once, not once per page.

    The first page of a listing reads the folder (without the library's temporaries),
    returns its smallest names (``heapq.nsmallest``: no sort of the whole folder, so the
    first page of 100,000 entries costs little more than reading their names) and keeps
    the names under a random token, sorted once when a second page is asked; its cursor is
    ``'<last name>/<token>'`` (``/`` is never part of a name). A later page resumes from
    that snapshot in O(log n + page) while the folder is unchanged (same inode, mtime and
    ctime). When the token is unknown (expired, evicted, made by another process, or a
    plain name given as cursor), a kept snapshot of the unchanged folder is used, else
    the folder is read again; the page holds the names after the cursor's name: the
    result is the same, only slower.
    Like ``readdir``, an entry added during a listing may or may not be listed.
    """

    #: Snapshots kept (least recently used go first), names kept in all of them, and
    #: seconds a snapshot is kept after its last use.
    LIMIT = 16
    BUDGET = 1_000_000
    TTL = 600.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: OrderedDict[str, _Snapshot] = OrderedDict()

    def page(
        self, folder: str, page_size: int | None, cursor: str | None
    ) -> tuple[list[str], str | None]:
        """``(names of this page, cursor of the next page or None)``."""
        after, _, token = (check_cursor(cursor) or "").partition("/")
        stamp = _stamp(folder)  # before reading: a change while reading shows next time
        snap = self._resume(token, folder, stamp) if token else None
        again = snap is None and bool(after)  # a page listed again (scrolling back)
        if again:
            token, snap = self._same_folder(folder, stamp)
        if snap is None:
            snap, token = _Snapshot(folder, stamp, _read_names(folder)), secrets.token_hex(8)
        if not snap.ordered and not after and page_size is not None:
            # the first page: the smallest names, without sorting the whole folder
            smallest = heapq.nsmallest(page_size + 1, snap.names)
            chosen = smallest[:page_size]
            last = chosen[-1] if len(smallest) > page_size else None
        else:
            chosen, last = page_after(snap.sorted_names(), page_size, after or None)
        if last is None and not again:  # a listing ended: its snapshot is done
            with self._lock:
                self._kept.pop(token, None)
            return chosen, None
        self._keep(token, snap)  # a page listed again may be followed by others
        if last is None:
            return chosen, None
        return chosen, f"{last}/{token}"

    def _resume(self, token: str, folder: str, stamp: tuple[int, ...]) -> _Snapshot | None:
        with self._lock:
            snap = self._kept.get(token)
            if snap is None:
                return None
            if snap.folder != folder or snap.stamp != stamp or snap.expires < time.monotonic():
                del self._kept[token]
                return None
            return snap

    def _same_folder(self, folder: str, stamp: tuple[int, ...]) -> tuple[str, _Snapshot | None]:
        """A kept snapshot of ``folder`` as it is now (``stamp``), for a cursor whose own
        snapshot is gone: paging back and forth reads the folder once, not once per page,
        and keeps one snapshot of it, not one per page listed again."""
        now = time.monotonic()
        with self._lock:
            for token, snap in reversed(self._kept.items()):
                if snap.folder == folder and snap.stamp == stamp and snap.expires >= now:
                    return token, snap
        return "", None

    def _keep(self, token: str, snap: _Snapshot) -> None:
        now = time.monotonic()
        with self._lock:
            snap.expires = now + self.TTL
            self._kept[token] = snap
            self._kept.move_to_end(token)
            total = sum(len(s.names) for s in self._kept.values())
            while len(self._kept) > 1:
                oldest = next(iter(self._kept.values()))
                if len(self._kept) <= self.LIMIT and total <= self.BUDGET and oldest.expires >= now:
                    break
                total -= len(self._kept.popitem(last=False)[1].names)
