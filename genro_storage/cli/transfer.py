"""The commands that transfer: cp, mv and sync."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import Any

import click

from .._shared.exceptions import StorageError, StorageNotFoundError
from .._shared.info import FileInfo
from ..async_ import AsyncStorageNode
from .errors import CliError
from .mounts import Mounts
from .output import progress_bar, say, summary
from .running import info_or_none, run, selected, walk

__all__ = ["cp_command", "into_target", "mv_command", "sync_command", "transfer_options"]


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
    child: AsyncStorageNode = dst.child_named(name)
    return child


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


@click.command("cp")
@click.argument("src")
@click.argument("dst")
@click.option(
    "--skip-if",
    type=SKIP_IF,
    help="Leave a destination file alone if it exists, has the same size, or the same MD5.",
)
@transfer_options
@click.pass_context
def cp_command(ctx: click.Context, /, src: str, dst: str, skip_if: str | None, **kw: Any) -> int:
    """Copy a file or a tree.

    A tree is copied onto DST (DST receives its content); end DST with '/' to copy it
    into DST (as DST/NAME). A file copied onto an existing folder goes into it.
    """
    return _transfer(ctx, False, src, dst, skip_if, **kw)


@click.command("mv")
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
def mv_command(ctx: click.Context, /, src: str, dst: str, skip_if: str | None, **kw: Any) -> int:
    """Move a file or a tree.

    Same DST rules as cp. Each source file is deleted only after its copy is
    complete; within the local filesystem a move is a rename.
    """
    return _transfer(ctx, True, src, dst, skip_if, **kw)


@click.command("sync")
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
