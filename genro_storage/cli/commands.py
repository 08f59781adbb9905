"""The commands that look at or change files in place: mounts, ls, cat, rm, mkdir, url,
md5."""

from __future__ import annotations

import json
import sys

import click

from .._shared.info import FileInfo
from .errors import PROG, CliError
from .mounts import Mounts, default_config_path
from .output import mtime_text, say
from .running import info_or_none, run, walk

__all__ = [
    "cat_command",
    "ls_command",
    "md5_command",
    "mkdir_command",
    "mounts_command",
    "rm_command",
    "url_command",
]


@click.command("mounts")
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


@click.command("ls")
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
                click.echo(f"{size:>12}  {mtime_text(entry.mtime)}  {shown}")
            else:
                click.echo(shown)

        if not info.isdir:
            emit(node.basename, mounts.show_node(node), info)
            return 0
        async for relative, entry in walk(mounts, node, recursive):
            emit(relative, mounts.show(node.mount, entry.path), entry)
        return 0

    return run(ctx, body)


@click.command("cat")
@click.argument("specs", metavar="SPEC...", nargs=-1, required=True)
@click.pass_context
def cat_command(ctx: click.Context, specs: tuple[str, ...]) -> int:
    """Write files to standard output, streamed."""

    async def body(mounts: Mounts) -> int:
        out = sys.stdout.buffer
        for spec in specs:
            async with mounts.node(spec).open("rb") as f:
                async for chunk in f.chunks():
                    out.write(chunk)
            out.flush()
        return 0

    return run(ctx, body)


@click.command("rm")
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


@click.command("mkdir")
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


@click.command("url")
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


@click.command("md5")
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
