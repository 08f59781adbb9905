"""``genro-storage``: the command line over the configured mounts.

    genro-storage [--config FILE] COMMAND [ARGS]...

Mounts come from ``--config FILE``, else ``$GENRO_STORAGE_CONFIG``, else
``$XDG_CONFIG_HOME/genro-storage/mounts.yaml`` (``~/.config/...`` by default). A path
with no ``mount:`` prefix, or one starting with ``/``, ``./``, ``../`` or ``~``, is on the
local filesystem. Every command is built on the public async API (``AsyncStorageManager``,
its nodes, ``copy``/``move`` and ``TransferReport``); see ``docs/cli.md``.

Errors print one line to stderr and exit 1 (2 for bad arguments); Ctrl-C cancels the
running operation, which leaves no partial destination, and exits 130.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import fnmatch
import json
import os
import re
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import click

from . import __version__
from ._shared.exceptions import StorageConfigError, StorageError, StorageNotFoundError
from ._shared.info import FileInfo
from ._shared.operations import Progress, TransferReport
from .async_ import AsyncStorageManager, AsyncStorageNode

__all__ = ["main", "cli", "config_path"]

PROG = "genro-storage"
ENV_CONFIG = "GENRO_STORAGE_CONFIG"
ENV_DEBUG = "GENRO_STORAGE_DEBUG"  # set to 1 to see the traceback of an unexpected error
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C
PAGE_SIZE = 1000


class CliError(Exception):
    """An error the command line reports as one line, with its exit status."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


# -- configuration -------------------------------------------------------------------


def default_config_path() -> Path:
    """``$XDG_CONFIG_HOME/genro-storage/mounts.yaml``, ``~/.config/...`` by default."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "genro-storage" / "mounts.yaml"


def config_path(option: str | None) -> Path | None:
    """The configuration file to load: ``--config``, else ``$GENRO_STORAGE_CONFIG``, else
    the default file if it exists. A file named explicitly must exist (the library says
    so when it does not); a missing default file means "no mounts configured"."""
    if option:
        return Path(option).expanduser()
    if os.environ.get(ENV_CONFIG):
        return Path(os.environ[ENV_CONFIG]).expanduser()
    default = default_config_path()
    return default if default.is_file() else None


# -- mounts and paths ----------------------------------------------------------------


def is_local_spec(spec: str) -> bool:
    """Whether ``spec`` names a local path rather than ``mount:path``: it has no colon,
    or it starts with ``/``, ``./``, ``../`` or ``~`` (or a drive letter on Windows)."""
    if spec in (".", "..") or spec.startswith(("/", "./", "../", "~")):
        return True
    if os.name == "nt" and re.match(r"^(?:[A-Za-z]:)?[\\/]|^\.\.?\\", spec):
        return True
    return ":" not in spec


class Mounts:
    """The configured mounts plus implicit local mounts, and how specs become nodes.

    Local paths live on mounts rooted at the filesystem's root (``/``), added on first
    use under a name that no configured mount has (``_local``, ``_local2``...). A path is
    made absolute first, so it never holds ``..`` and cannot leave its root. Sources and
    destinations get two separate local mounts: a local-to-local copy then streams
    through the library's cancellable copy loop instead of one uninterruptible
    store-side copy, so Ctrl-C can abort it.
    """

    def __init__(self, config: Path | None) -> None:
        self.config = config
        self.storage = AsyncStorageManager(config) if config is not None else AsyncStorageManager()
        self._local: dict[tuple[str, str], str] = {}  # (anchor, role) -> mount name
        self._anchor: dict[str, str] = {}  # mount name -> anchor

    async def __aenter__(self) -> Mounts:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.storage.close()

    def node(self, spec: str, role: str = "src") -> AsyncStorageNode:
        """The node ``spec`` names. ``role`` ('src' or 'dst') picks the local mount."""
        if not spec:
            raise CliError("an empty path names nothing")
        if is_local_spec(spec):
            return self._local_node(spec, role)
        mount = spec.partition(":")[0]
        if not self.storage.has_mount(mount) or self.is_implicit(mount):
            known = [m for m in self.storage.mounts if not self.is_implicit(m)]
            raise CliError(
                f"unknown mount '{mount}' in '{spec}' (configured mounts: "
                f"{', '.join(known) or 'none'}; write ./{spec} for a local file)"
            )
        return self.storage.node(spec)

    def _local_node(self, spec: str, role: str) -> AsyncStorageNode:
        full = os.path.abspath(os.path.expanduser(spec))
        anchor = Path(full).anchor or os.sep
        name = self._local.get((anchor, role))
        if name is None:
            name = self._free_name()
            self.storage.add_mount({"name": name, "type": "local", "path": anchor})
            self._local[(anchor, role)] = name
            self._anchor[name] = anchor
        relative = full[len(anchor) :].replace(os.sep, "/")
        return self.storage.node(name, relative) if relative else self.storage.node(name)

    def _free_name(self) -> str:
        taken = set(self.storage.mounts)
        name, n = "_local", 1
        while name in taken:
            n += 1
            name = f"_local{n}"
        return name

    def is_implicit(self, mount: str) -> bool:
        return mount in self._anchor

    def show(self, mount: str, path: str) -> str:
        """How the user writes ``mount:path``: a local path for the implicit mounts."""
        anchor = self._anchor.get(mount)
        if anchor is not None:
            return anchor + path.replace("/", os.sep)
        return f"{mount}:{path}"

    def show_node(self, node: AsyncStorageNode) -> str:
        return self.show(node.mount, node.path)

    def os_path(self, node: AsyncStorageNode) -> str | None:
        """The OS path of a node on a local mount (to spot symlink loops), else None."""
        anchor = self._anchor.get(node.mount)
        if anchor is not None:
            return anchor + node.path
        config = node.config
        if config.type != "local":
            return None
        root = os.path.abspath(os.path.expanduser(str(config.options["path"])))
        return os.path.join(root, *node.path.split("/")) if node.path else root

    def clean(self, message: str) -> str:
        """``message`` with the implicit mounts' names replaced by local paths."""
        for name, anchor in self._anchor.items():
            quoted = re.escape(name)
            message = re.sub(rf"(?<![\w.-]){quoted}:", lambda _m, a=anchor: a, message)
            message = re.sub(rf"\b[Mm]ount '{quoted}'", "the local filesystem", message)
        return message


# -- running a command ---------------------------------------------------------------


def one_line(exc: BaseException) -> str:
    """The exception's message on one line (its type when it has no message)."""
    text = re.sub(r"\s*\n\s*", " ", str(exc).strip())
    return text or type(exc).__name__


def run_cancellable(coro: Awaitable[int]) -> int:
    """Run ``coro`` on a fresh event loop; the first Ctrl-C cancels it (the library's
    cleanup then runs: partial writes are aborted) and raises ``KeyboardInterrupt``.
    Later Ctrl-Cs are ignored so that the cleanup is never cut short."""
    loop = asyncio.new_event_loop()
    task = loop.create_task(coro)  # type: ignore[arg-type]
    interrupted = False

    def interrupt() -> None:
        nonlocal interrupted
        if not interrupted:
            interrupted = True
            task.cancel()

    handled = False
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGINT, interrupt)  # POSIX, main thread
        handled = True
    try:
        result = loop.run_until_complete(task)
    except BaseException:
        if interrupted:
            raise KeyboardInterrupt from None
        raise
    finally:
        # Without a signal handler (Windows) Ctrl-C raises here: cancel and wait, so the
        # cleanup still runs before the loop closes.
        try:
            rest = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for pending in rest:
                pending.cancel()
            if rest:
                loop.run_until_complete(asyncio.gather(*rest, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            if handled:
                loop.remove_signal_handler(signal.SIGINT)
            loop.close()
    if interrupted:  # the operation swallowed the cancellation: still an interrupt
        raise KeyboardInterrupt
    return result


def run(ctx: click.Context, body: Callable[[Mounts], Awaitable[int | None]]) -> int:
    """Load the mounts, run ``body`` on them, close them; errors become ``CliError``."""
    config = config_path(ctx.obj)

    async def main() -> int:
        async with Mounts(config) as mounts:
            try:
                return (await body(mounts)) or 0
            except (StorageError, OSError, ValueError) as exc:
                if isinstance(exc, BrokenPipeError):
                    raise  # `| head` closed the pipe: click ends quietly (status 1)
                raise CliError(mounts.clean(one_line(exc))) from exc

    return run_cancellable(main())


async def info_or_none(node: AsyncStorageNode) -> FileInfo | None:
    try:
        return await node.info()
    except StorageNotFoundError:
        return None


async def entries(folder: AsyncStorageNode) -> AsyncIterator[FileInfo]:
    """Every entry of ``folder``, page by page."""
    cursor = None
    while True:
        page = await folder.list(PAGE_SIZE, cursor)
        for entry in page.entries:
            yield entry
        cursor = page.cursor
        if cursor is None:
            return


async def walk(
    mounts: Mounts, top: AsyncStorageNode, recursive: bool = True
) -> AsyncIterator[tuple[str, FileInfo]]:
    """``(path relative to top, info)`` of the entries below ``top``, each folder before
    its content. A local folder already visited (a symlink loop) is not entered again;
    entries that cannot be addressed are yielded but never entered."""
    first = mounts.os_path(top)
    seen = {os.path.realpath(first)} if first else set()

    async def visit(folder: AsyncStorageNode, prefix: str) -> AsyncIterator[tuple[str, FileInfo]]:
        async for entry in entries(folder):
            relative = prefix + entry.name
            yield relative, entry
            if not (recursive and entry.isdir and entry.addressable):
                continue
            try:
                child = folder.child_from(entry)
            except StorageConfigError:
                continue
            place = mounts.os_path(child)
            if place is not None:
                real = os.path.realpath(place)
                if real in seen:
                    continue
                seen.add(real)
            async for item in visit(child, relative + "/"):
                yield item

    async for item in visit(top, ""):
        yield item


def selected(relative: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    """The include/exclude rule of ``copy()``: a pattern matches the relative path or the
    file name."""
    name = relative.rsplit("/", 1)[-1]

    def hit(patterns: Sequence[str]) -> bool:
        return any(fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(name, p) for p in patterns)

    if include and not hit(include):
        return False
    return not (exclude and hit(exclude))


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
        if self._bar is not None:
            self._bar.close()


def progress_bar(option: bool | None) -> ProgressBar | None:
    """A bar when asked, or by default when stderr is a terminal."""
    wanted = sys.stderr.isatty() if option is None else option
    return ProgressBar() if wanted else None


def say(message: str) -> None:
    click.echo(message, err=True)


def summary(report: TransferReport, verb: str, deleted: int | None = None) -> str:
    text = (
        f"{len(report.copied)} {verb} ({report.bytes_copied} bytes), {len(report.skipped)} skipped"
    )
    if deleted is not None:
        text += f", {deleted} deleted"
    return text


# -- the commands ----------------------------------------------------------------------

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
@click.option(
    "--config",
    "config",
    metavar="FILE",
    help=f"Mounts file (YAML or JSON). Default: ${ENV_CONFIG}, else "
    "~/.config/genro-storage/mounts.yaml.",
)
@click.version_option(__version__, "--version", prog_name=PROG)
@click.pass_context
def cli(ctx: click.Context, config: str | None) -> None:
    """One command line over every configured mount and the local filesystem.

    A path is MOUNT:PATH on a configured mount, or a local path (no 'mount:' prefix, or
    starting with /, ./, ../ or ~). See 'genro-storage COMMAND --help'.
    """
    ctx.obj = config


@cli.command("mounts")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_context
def mounts_command(ctx: click.Context, as_json: bool) -> int:
    """List the configured mounts.

    Name, type and permissions of each; never a secret.
    """

    async def body(mounts: Mounts) -> int:
        rows = []
        for name in mounts.storage.mounts:
            config = mounts.storage.mount_config(name)
            rows.append({"name": name, "type": config.type, "permissions": config.permissions})
        if mounts.config is None:
            say(f"{PROG}: no configuration file (looked for {default_config_path()})")
        if as_json:
            for row in rows:
                click.echo(json.dumps(row))
        elif rows:
            table = [("NAME", "TYPE", "PERMISSIONS")] + [
                (r["name"], r["type"], r["permissions"]) for r in rows
            ]
            widths = [max(len(line[i]) for line in table) for i in range(2)]
            for name, kind, permissions in table:
                click.echo(f"{name:<{widths[0]}}  {kind:<{widths[1]}}  {permissions}")
        return 0

    return run(ctx, body)


def _mtime_text(mtime: float | None) -> str:
    if mtime is None:
        return " " * 19
    return datetime.datetime.fromtimestamp(mtime).strftime("%Y-%m-%d %H:%M:%S")


@cli.command("ls")
@click.option("-l", "long", is_flag=True, help="Show size and modification time.")
@click.option("-R", "recursive", is_flag=True, help="List the whole tree.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON object per line: name, path, size, mtime, isdir.",
)
@click.argument("spec")
@click.pass_context
def ls_command(ctx: click.Context, long: bool, recursive: bool, as_json: bool, spec: str) -> int:
    """List a folder, or show one file.

    Folder names end with '/'. -l adds the size in bytes and the modification time;
    --json prints one object per line with name, path, size, mtime (POSIX seconds)
    and isdir.
    """

    async def body(mounts: Mounts) -> int:
        node = mounts.node(spec)
        info = await node.info()

        def emit(relative: str, where: str, entry: FileInfo) -> None:
            if as_json:
                row = {
                    "name": entry.name,
                    "path": where,
                    "size": entry.size,
                    "mtime": entry.mtime,
                    "isdir": entry.isdir,
                }
                click.echo(json.dumps(row))
                return
            shown = relative + ("/" if entry.isdir else "")
            if long:
                size = "-" if entry.size is None else str(entry.size)
                click.echo(f"{size:>12}  {_mtime_text(entry.mtime)}  {shown}")
            else:
                click.echo(shown)

        if not info.isdir:
            emit(node.basename, mounts.show_node(node), info)
            return 0
        async for relative, entry in walk(mounts, node, recursive):
            emit(relative, mounts.show(node.mount, entry.path), entry)
        return 0

    return run(ctx, body)


@cli.command("cat")
@click.argument("specs", metavar="SPEC...", nargs=-1, required=True)
@click.pass_context
def cat_command(ctx: click.Context, specs: tuple[str, ...]) -> int:
    """Write files to standard output, streamed."""

    async def body(mounts: Mounts) -> int:
        out = sys.stdout.buffer
        for spec in specs:
            async with mounts.node(spec).open("rb") as f:
                async for chunk in f:
                    out.write(chunk)
            out.flush()
        return 0

    return run(ctx, body)


def transfer_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """The options shared by cp, mv and sync."""
    decorators = [
        click.option(
            "--include",
            multiple=True,
            metavar="GLOB",
            help="Transfer only files matching GLOB (relative path or name); repeatable.",
        ),
        click.option(
            "--exclude",
            multiple=True,
            metavar="GLOB",
            help="Skip files matching GLOB (relative path or name); repeatable.",
        ),
        click.option(
            "--progress/--no-progress",
            default=None,
            help="Draw a progress bar on stderr (default: when stderr is a terminal).",
        ),
        click.option("-v", "--verbose", is_flag=True, help="Print a summary on stderr."),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


async def into_target(
    mounts: Mounts, src: AsyncStorageNode, src_info: FileInfo, dst_spec: str, role: str
) -> AsyncStorageNode:
    """The exact destination of ``cp``/``mv``: DST itself, or DST/NAME when DST ends with
    '/' or (for a file) is an existing folder."""
    dst = mounts.node(dst_spec, role)
    into = dst_spec.endswith(("/", os.sep))
    if not into and not src_info.isdir:
        found = await info_or_none(dst)
        into = found is not None and found.isdir
    if not into:
        return dst
    name = src.basename
    if not name:
        raise CliError(f"'{mounts.show_node(src)}' has no name to copy into a folder: name DST")
    return dst.child_named(name)


def _transfer(
    ctx: click.Context,
    move: bool,
    src_spec: str,
    dst_spec: str,
    skip_if: str | None,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    progress: bool | None,
    verbose: bool,
) -> int:
    async def body(mounts: Mounts) -> int:
        src = mounts.node(src_spec)
        src_info = await src.info()
        # A local move shares the source's mount, so that it is a rename, not a copy.
        dst = await into_target(mounts, src, src_info, dst_spec, "src" if move else "dst")
        bar = progress_bar(progress)
        try:
            action = src.move if move else src.copy
            report = await action(
                dst, skip_if=skip_if, include=include, exclude=exclude, progress=bar
            )
        finally:
            if bar is not None:
                bar.close()
        if verbose:
            say(summary(report, "moved" if move else "copied"))
        return 0

    return run(ctx, body)


SKIP_IF = click.Choice(["exists", "size", "hash"])


@cli.command("cp")
@click.argument("src")
@click.argument("dst")
@click.option(
    "--skip-if",
    type=SKIP_IF,
    help="Leave a destination file alone if it exists, has the same size, or the same MD5.",
)
@transfer_options
@click.pass_context
def cp_command(ctx: click.Context, src: str, dst: str, skip_if: str | None, **kw: Any) -> int:
    """Copy a file or a tree.

    A tree is copied onto DST (DST receives its content); end DST with '/' to copy it
    into DST (as DST/NAME). A file copied onto an existing folder goes into it.
    """
    return _transfer(ctx, False, src, dst, skip_if, **kw)


@cli.command("mv")
@click.argument("src")
@click.argument("dst")
@click.option(
    "--skip-if",
    type=SKIP_IF,
    help="Leave a destination file alone (and its source in place) if it exists, has the "
    "same size, or the same MD5.",
)
@transfer_options
@click.pass_context
def mv_command(ctx: click.Context, src: str, dst: str, skip_if: str | None, **kw: Any) -> int:
    """Move a file or a tree.

    Same DST rules as cp. Each source file is deleted only after its copy is
    complete; within the local filesystem a move is a rename.
    """
    return _transfer(ctx, True, src, dst, skip_if, **kw)


@cli.command("sync")
@click.argument("src")
@click.argument("dst")
@click.option("-c", "--checksum", is_flag=True, help="Compare MD5 hashes, not only sizes.")
@click.option("--delete", is_flag=True, help="Delete destination files that SRC lacks.")
@transfer_options
@click.pass_context
def sync_command(
    ctx: click.Context,
    src: str,
    dst: str,
    checksum: bool,
    delete: bool,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    progress: bool | None,
    verbose: bool,
) -> int:
    """Make DST match SRC.

    Copies the files that differ (by size, or by MD5 with --checksum) onto DST; with
    --delete also deletes the files of DST that SRC lacks (only those the filters
    select), then the folders SRC lacks once they are empty.
    """

    async def body(mounts: Mounts) -> int:
        source = mounts.node(src)
        target = mounts.node(dst, "dst")
        src_info = await source.info()
        src_files: set[str] = set()
        src_dirs: set[str] = set()
        if delete and src_info.isdir:
            async for relative, entry in walk(mounts, source):
                (src_dirs if entry.isdir else src_files).add(relative)
        bar = progress_bar(progress)
        try:
            report = await source.copy(
                target,
                skip_if="hash" if checksum else "size",
                include=include,
                exclude=exclude,
                progress=bar,
            )
        finally:
            if bar is not None:
                bar.close()
        deleted = 0
        if delete and src_info.isdir:
            extra_files: list[str] = []
            extra_dirs: list[str] = []
            with contextlib.suppress(StorageNotFoundError):
                async for relative, entry in walk(mounts, target):
                    if not entry.addressable:
                        continue
                    if entry.isdir:
                        if relative not in src_dirs:
                            extra_dirs.append(relative)
                    elif relative not in src_files and selected(relative, include, exclude):
                        extra_files.append(relative)
            for relative in extra_files:
                await target.child(relative).delete()
                deleted += 1
            # Folders SRC lacks go too once empty; one still holding a file the filters
            # protect stays.
            for relative in sorted(extra_dirs, key=lambda p: p.count("/"), reverse=True):
                with contextlib.suppress(StorageError):
                    await target.child(relative).delete()
        if verbose:
            say(summary(report, "copied", deleted))
        return 0

    return run(ctx, body)


@cli.command("rm")
@click.option("-r", "recursive", is_flag=True, help="Delete folders and their content.")
@click.option("-f", "force", is_flag=True, help="Ignore paths that do not exist.")
@click.argument("specs", metavar="SPEC...", nargs=-1, required=True)
@click.pass_context
def rm_command(ctx: click.Context, recursive: bool, force: bool, specs: tuple[str, ...]) -> int:
    """Delete files (and folders with -r)."""

    async def body(mounts: Mounts) -> int:
        for spec in specs:
            node = mounts.node(spec)
            if not recursive:
                found = await info_or_none(node)
                if found is not None and found.isdir:
                    raise CliError(f"'{mounts.show_node(node)}' is a folder: use rm -r")
            await node.delete(recursive=recursive, missing_ok=force)
        return 0

    return run(ctx, body)


@cli.command("mkdir")
@click.option("-p", "parents", is_flag=True, help="Create parents; no error if it exists.")
@click.argument("specs", metavar="SPEC...", nargs=-1, required=True)
@click.pass_context
def mkdir_command(ctx: click.Context, parents: bool, specs: tuple[str, ...]) -> int:
    """Create folders."""

    async def body(mounts: Mounts) -> int:
        for spec in specs:
            await mounts.node(spec).mkdir(parents=parents, exist_ok=parents)
        return 0

    return run(ctx, body)


@cli.command("url")
@click.option(
    "--expires",
    type=click.IntRange(min=1),
    metavar="SECONDS",
    help="Lifetime of a presigned URL (the store's default otherwise).",
)
@click.argument("spec")
@click.pass_context
def url_command(ctx: click.Context, expires: int | None, spec: str) -> int:
    """Print a URL for a file.

    Presigned where the store signs (S3, Azure), public where it serves files (HTTP,
    GCS, a local mount with base_url); an error where the mount gives none.
    """

    async def body(mounts: Mounts) -> int:
        node = mounts.node(spec)
        url = node.url(expires)
        if url is None:
            kind = node.config.type
            raise CliError(f"'{mounts.show_node(node)}' has no URL: its {kind} mount gives none")
        click.echo(url)
        return 0

    return run(ctx, body)


@cli.command("md5")
@click.argument("specs", metavar="SPEC...", nargs=-1, required=True)
@click.pass_context
def md5_command(ctx: click.Context, specs: tuple[str, ...]) -> int:
    """Print the MD5 of files, as md5sum does.

    Taken from the store's ETag when it has one, else computed from the content.
    """

    async def body(mounts: Mounts) -> int:
        for spec in specs:
            node = mounts.node(spec)
            click.echo(f"{await node.md5hash()}  {mounts.show_node(node)}")
        return 0

    return run(ctx, body)


EXPLORE_INTRO = """# genro-storage explorer

The mounts of `{config}`. Select a file to preview it; select several and press
**Copy ▶** to copy them into the other pane's folder."""


def explorer_notebook(config: Path, cwd: str) -> dict[str, object]:
    """The explorer notebook over the mounts of ``config`` (its path, never its secrets),
    run from ``cwd`` so that relative paths in the file mean what they mean here."""
    from .widgets.app import notebook_json

    code = f"""import os

from genro_storage.async_ import AsyncStorageManager
from genro_storage.widgets import StorageExplorer

os.chdir({cwd!r})
storage = AsyncStorageManager({str(config)!r})
explorer = StorageExplorer(storage)
explorer"""
    return notebook_json(EXPLORE_INTRO.format(config=config), code)


@cli.command("explore")
@click.option("--port", type=int, default=0, help="Port on 127.0.0.1 (default: a free one).")
@click.option("--lab", is_flag=True, help="Serve with JupyterLab instead of Voilà.")
@click.option(
    "--no-launch", is_flag=True, help="Write the notebook, print it and the server command."
)
@click.pass_context
def explore_command(ctx: click.Context, port: int, lab: bool, no_launch: bool) -> int:
    """Open the explorer app over the configured mounts.

    Serves a notebook with Voilà (or JupyterLab) on 127.0.0.1 until Ctrl-C; needs the
    'widgets' extra.
    """
    import importlib.util

    config = config_path(ctx.obj)
    if config is None:
        raise CliError(f"no mounts to explore: write {default_config_path()} or pass --config")
    # Validate now: a bad file is one line here, not a traceback in a notebook.
    run(ctx, _loads)
    server = "jupyterlab" if lab else "voila"
    if importlib.util.find_spec(server) is None or importlib.util.find_spec("ipywidgets") is None:
        raise CliError(
            f"explore needs {server} and ipywidgets: pip install 'genro-storage[widgets]'"
        )
    from .widgets.app import serve, server_command

    folder = Path(tempfile.mkdtemp(prefix="genro-storage-explore-"))
    notebook = folder / "explorer.ipynb"
    notebook.write_text(json.dumps(explorer_notebook(config.resolve(), os.getcwd()), indent=1))
    if no_launch:
        command, _url = server_command(notebook, port, lab)
        click.echo(f"notebook: {notebook}")
        click.echo(f"command: {' '.join(command)}")
        return 0
    try:
        status = serve(notebook, port, lab)
    finally:
        notebook.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()
    return status if status >= 0 else 128 - status


async def _loads(mounts: Mounts) -> int:
    return 0


# -- entry point -----------------------------------------------------------------------


def fail(message: str, code: int) -> int:
    sys.stderr.write(f"{PROG}: error: {message}\n")
    sys.stderr.flush()
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (see the module docstring)."""
    try:
        result = cli.main(args=argv, prog_name=PROG, standalone_mode=False)
        sys.stdout.flush()
        return result if isinstance(result, int) else 0
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "")
        return 0
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else PROG
        message = one_line(Exception(exc.format_message()))
        return fail(f"{message} (see '{where} --help')", exc.exit_code)
    except click.ClickException as exc:
        return fail(one_line(Exception(exc.format_message())), exc.exit_code)
    except (click.Abort, KeyboardInterrupt):
        sys.stderr.write(f"{PROG}: interrupted\n")
        return EXIT_INTERRUPTED
    except CliError as exc:
        return fail(str(exc), exc.code)
    except (StorageError, OSError, ValueError) as exc:  # e.g. a bad configuration file
        return fail(one_line(exc), EXIT_ERROR)
    except Exception as exc:
        if os.environ.get(ENV_DEBUG):
            raise
        name = type(exc).__name__
        hint = f"(set {ENV_DEBUG}=1 for the traceback)"
        return fail(f"unexpected {name}: {one_line(exc)} {hint}", EXIT_ERROR)


if __name__ == "__main__":
    raise SystemExit(main())
