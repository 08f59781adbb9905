"""``glob``/``rglob``/``walk`` of both node classes, written once as logic (see
``sansio``) on the library's walk (:func:`operations.walk_page`): page by page, only
addressable entries, never entering a physical folder twice.

Patterns follow ``pathlib``: ``/`` separates segments; in a segment ``*``, ``?`` and
``[...]`` (``[!...]`` negates) are ``fnmatch``'s, case-sensitive, and ``\\`` is an
ordinary character (POSIX); ``*`` also matches names starting with a dot; a segment
``**`` matches zero or more folders (and, last, any entry below); a trailing ``/``
keeps folders only. Listed names are data: a name is only ever *matched* against a
segment, never read as a pattern or a path. A pattern segment without a wildcard is a
literal name: no folder is listed for it (``data/2024/*.csv`` lists ``data/2024`` only),
which keeps object stores from listing more of a bucket than the pattern's literal
prefix.

Each step (``g_step``/``g_next``) makes at most one listing request (or a few ``info``
calls for literal names), so the iterators of both APIs stream results as pages arrive
and no folder is listed twice.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from . import paths
from .exceptions import StorageConfigError, StorageError, StorageNotFoundError
from .identity import Location
from .info import FileInfo
from .operations import AnyNode, WalkPage, info_or_none, walk_page
from .sansio import Logic

#: The segment ``**``: zero or more folders.
RECURSIVE = "**"
_MAGIC = re.compile(r"[*?[]")


@dataclass(frozen=True)
class Pattern:
    """A checked glob pattern: its segments (``'**'`` collapsed), their matchers
    (``None`` for a literal name or ``**``) and whether only folders are wanted."""

    segments: tuple[str, ...]
    matchers: tuple[re.Pattern[str] | None, ...]
    dirs_only: bool

    @property
    def size(self) -> int:
        return len(self.segments)

    def closure(self, positions: set[int]) -> set[int]:
        """Add the positions reached by letting each ``**`` match zero folders."""
        out = set()
        for i in positions:
            out.add(i)
            while i < self.size and self.segments[i] == RECURSIVE:
                i += 1
                out.add(i)
        return out

    def advance(self, positions: set[int], name: str) -> set[int]:
        """The positions after an entry called ``name`` (a ``**`` consumes any name)."""
        return self.step(positions, name)[0]

    def step(self, positions: set[int], name: str) -> tuple[set[int], bool]:
        """``advance``, and whether a *file* called ``name`` may end the match: a name
        matched by a segment that only ``**`` segments follow is a folder (``'a/**'`` is
        ``a`` and what it holds), unless a ``**`` consumed the name itself."""
        matched: set[int] = set()
        starred: set[int] = set()
        for i in positions:
            if i == self.size:
                continue
            segment, matcher = self.segments[i], self.matchers[i]
            if segment == RECURSIVE:
                starred.add(i)
            elif name == segment if matcher is None else matcher.match(name) is not None:
                matched.add(i + 1)
        file_ok = self.size in matched or self.size in self.closure(starred)
        return self.closure(matched | starred), file_ok

    def literal(self, i: int) -> bool:
        return self.matchers[i] is None and self.segments[i] != RECURSIVE


def parse(pattern: object, method: str = "glob") -> Pattern:
    """Check ``pattern`` (``StorageConfigError`` naming what is wrong) and compile it."""
    if not isinstance(pattern, str):
        raise StorageConfigError(
            f"{method}() pattern must be a string, not {type(pattern).__name__}"
        )
    if not pattern or "\x00" in pattern:
        raise StorageConfigError(f"{method}() got an unacceptable pattern: {pattern!r}")
    if pattern.startswith("/"):
        raise StorageConfigError(
            f"{method}() pattern {pattern!r} must be relative to the node (no leading '/')"
        )
    segments: list[str] = []
    for segment in pattern.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            raise StorageConfigError(f"{method}() pattern {pattern!r} may not climb with '..'")
        if segment == RECURSIVE and segments and segments[-1] == RECURSIVE:
            continue  # '**/**' is '**'
        segments.append(segment)
    if not segments:
        raise StorageConfigError(f"{method}() got an unacceptable pattern: {pattern!r}")
    matchers = tuple(
        re.compile(fnmatch.translate(s)) if s != RECURSIVE and _MAGIC.search(s) else None
        for s in segments
    )
    return Pattern(tuple(segments), matchers, pattern.endswith("/"))


def parse_recursive(pattern: object) -> Pattern:
    """``rglob(pattern)``: ``glob('**/' + pattern)``, ``pattern`` checked as given."""
    parse(pattern, "rglob")
    return parse(f"**/{pattern}", "rglob")


def name_of(entry: FileInfo) -> str:
    return paths.basename(entry.path)


@dataclass
class _Task:
    """A folder to list, with the pattern positions active in it."""

    path: str
    positions: frozenset[int]
    confirmed: bool  # seen as a folder in a listing (else a literal guess, or the start)


class Globber:
    """The state of one ``glob``: a stack of folders to list, one page per step."""

    def __init__(self, node: AnyNode, pattern: Pattern) -> None:
        self.node = node
        self.backend = node._backend
        self.pattern = pattern
        self.start = node.path
        self.seen = {self.backend.location(node.path)}
        self.stack = [_Task(node.path, frozenset(pattern.closure({0})), confirmed=False)]
        self.current: _Task | None = None
        self.cursor: str | None = None
        self.children: list[_Task] = []

    def g_step(self) -> Logic[list[str] | None]:
        """The paths matched by the next page (possibly none); ``None`` when done."""
        if self.current is None:
            if not self.stack:
                return None
            task = self.stack.pop()
            live = [i for i in task.positions if i < self.pattern.size]
            if all(self.pattern.literal(i) for i in live):
                return (yield from self._literal(task, live))
            self.current, self.cursor, self.children = task, None, []
        task = self.current
        first = self.cursor is None
        try:
            page = yield from walk_page(self.backend, task.path, self.cursor, self.seen)
        except StorageError as exc:
            self.current = None
            if first and (yield from self._not_a_folder(task, exc)):
                return []
            raise
        out = [task.path] if first and task.path == self.start and self._whole(task) else []
        enter = {e.path for e in page.dirs}
        for entry in page.files + page.dirs + page.loops:
            after, file_ok = self.pattern.step(set(task.positions), name_of(entry))
            if self.pattern.size in after and (
                entry.isdir or file_ok and not self.pattern.dirs_only
            ):
                out.append(entry.path)
            deeper = frozenset(i for i in after if i < self.pattern.size)
            if deeper and entry.path in enter:
                self.children.append(_Task(entry.path, deeper, confirmed=True))
        if page.cursor is None:  # the folder is done: its subfolders next, in name order
            self.stack += sorted(self.children, key=lambda t: t.path, reverse=True)
            self.current = None
        self.cursor = page.cursor
        out.sort()
        return out

    def _whole(self, task: _Task) -> bool:
        """Whether the start folder itself matches (a pattern of ``**`` only)."""
        return self.pattern.size in task.positions

    def _not_a_folder(self, task: _Task, exc: StorageError) -> Logic[bool]:
        """Whether a listing error only says there is no folder to list (``pathlib``
        yields nothing there); any other error is the caller's to see."""
        if isinstance(exc, StorageNotFoundError):
            return True
        if task.confirmed:
            return False
        found = yield from info_or_none(self.node._at(task.path))
        return found is None or not found.isdir

    def _literal(self, task: _Task, live: list[int]) -> Logic[list[str]]:
        """A folder whose active segments are all literal names: no listing, the names
        are looked at directly (``info`` only where a match must be confirmed)."""
        wanted: dict[str, set[int]] = {}
        file_ok: set[str] = set()  # names a file may end the match with (see ``step``)
        for i in live:
            name = self.pattern.segments[i]
            wanted.setdefault(name, set()).update(self.pattern.closure({i + 1}))
            if i + 1 == self.pattern.size:
                file_ok.add(name)
        out: list[str] = []
        pushed: list[_Task] = []
        for name, after in sorted(wanted.items()):
            child = paths.child_path(task.path, name)
            deeper = frozenset(i for i in after if i < self.pattern.size)
            confirmed = False
            if self.pattern.size in after:
                found = yield from info_or_none(self.node._at(child))
                if found is None:
                    continue
                if found.isdir or name in file_ok and not self.pattern.dirs_only:
                    out.append(child)
                if not found.isdir:
                    continue
                confirmed = True
            if deeper and self._first_visit(child):
                pushed.append(_Task(child, deeper, confirmed))
        self.stack += reversed(pushed)
        return out

    def _first_visit(self, path: str) -> bool:
        """Mark ``path``'s physical place as visited; ``False`` if it was (a loop), or if
        the store will not say where it is (a link out of a local mount)."""
        try:
            place = self.backend.location(path)
        except StorageError:
            return False
        if place in self.seen:
            return False
        self.seen.add(place)
        return True


def g_walk_page(
    node: AnyNode, folder: str, cursor: str | None, seen: set[Location], size: int = 1000
) -> Logic[WalkPage | None]:
    """``walk_page`` for the walks: ``None`` when ``folder`` is not a folder to walk
    (gone, never there, or a file: the walked node, or a subfolder replaced by a file
    since its parent was listed), as in ``pathlib``; a later page's failure raises."""
    try:
        return (yield from walk_page(node._backend, folder, cursor, seen, size))
    except StorageNotFoundError:
        return None  # gone, or never there: nothing to walk
    except StorageError:
        if cursor is not None:
            raise
        found = yield from info_or_none(node._at(folder))
        if found is None or not found.isdir:
            return None
        raise


def kept_dirs(dir_names: list[str], enterable: frozenset[str]) -> list[str]:
    """The subfolders a top-down walk enters after the caller edited ``dir_names``: the
    names the listing gave as folders, each once (a name the caller added twice would
    enter one physical folder twice), in the caller's order."""
    return list(dict.fromkeys(d for d in dir_names if isinstance(d, str) and d in enterable))
