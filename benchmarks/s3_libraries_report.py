"""The Markdown report of ``s3_libraries.py``: machine and method, then a table per
case (the server's ceiling, small GETs, 64 MiB transfers, listing, the pool cap)."""

from __future__ import annotations

import argparse
import os
import platform
from importlib.metadata import version

from harness import MIB, Measure, fmt
from s3_libraries_common import DEFAULT_POOL, LARGE_SIZE, LATENCY, Row
from s3_libraries_transfers import LargeBodyWarnings


def rows_table(rows: list[Row]) -> list[str]:
    """Markdown table of aioboto3-vs-s3fs rows."""
    lines = [
        "| case | aioboto3 call | aioboto3 | s3fs call | s3fs | s3fs / aioboto3 "
        "| client CPU µs/op aioboto3 | client CPU µs/op s3fs |",
        "|---|---|---:|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.case} | {r.a_call} | {fmt(r.a.rate)} {r.unit} | {r.b_call} "
            f"| {fmt(r.b.rate)} {r.unit} | **{r.b.rate / r.a.rate:.2f}** "
            f"| {fmt(r.a.cpu_us)} | {fmt(r.b.cpu_us)} |"
        )
    return lines


def report(
    args: argparse.Namespace,
    base: list[tuple[str, int, Measure]],
    small: list[Row],
    big: list[Row],
    lists: list[Row],
    pools: list[tuple[str, int, int | None, Measure, int]],
    warned: LargeBodyWarnings,
    extra: dict[str, str],
    seconds: float,
) -> str:
    """The whole Markdown report."""
    libs = ", ".join(
        f"{p} {version(p)}" for p in ("aioboto3", "aiobotocore", "botocore", "s3fs", "moto")
    )
    out = [
        "# S3 libraries: aioboto3 vs s3fs (async)",
        "",
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}, {platform.system()}; 1-minute load average "
        f"{extra['load']} (other work shares the machine). {libs}.",
        "",
        f"Server: moto standalone (`tests/servers.py` `S3Server`) on loopback; client and "
        f"both libraries in one process. Small GETs: {args.requests} requests per variant "
        f"and case; 64 MiB transfers and listings: {args.rounds} per variant. Each is split "
        f"into {args.rounds} rounds run in ABC-CBA order and totalled (not best-of). "
        f"Run took {seconds:.0f} s "
        f"(`python benchmarks/s3_libraries.py{' --quick' if args.quick else ''}`).",
        "",
        "Ratios are s3fs / aioboto3 of the rate: above 1 means s3fs is faster. "
        "Client CPU is this process's CPU time per operation (the moto process excluded); "
        "it is the part each library controls, and it is steadier than wall time. "
        "Wall-clock rates are bounded by moto (2-3 ms of moto CPU per request) plus "
        "botocore (about 2 ms of client CPU per request) sharing 2 cores, so ratios "
        "within about 0.8-1.25 are noise on this machine.",
        "",
        "## Server ceiling (no botocore on the client)",
        "",
        f"moto answers `Connection: {extra['connection']}`: no keep-alive, every request "
        "opens a new TCP connection, so a client's pool size only bounds requests in flight.",
        "",
        "| request | concurrency | req/s | client CPU µs/req | moto CPU µs/req |",
        "|---|---:|---:|---:|---:|",
    ]
    out += [
        f"| {name} | {c} | {fmt(m.rate)} | {fmt(m.cpu_us)} | {fmt(m.server_cpu_us)} |"
        for name, c, m in base
    ]
    out += [
        "",
        "## Small-object GETs",
        "",
        "A read is one object fetched whole. s3fs's plain `_cat_file` first asks for the "
        "size (HEAD) to decide whether to split the download into ranges, so it sends two "
        "requests per read; `max_concurrency=1` skips that.",
        "",
        *rows_table(small),
    ]
    out += ["", f"## Large object ({LARGE_SIZE // MIB} MiB), one transfer at a time", ""]
    out += rows_table(big)
    out += [
        "",
        'aiohttp `ResourceWarning` "Sending a large body directly with raw bytes" '
        "emitted per 64 MiB upload (any raw-bytes body over 1 MiB triggers it): "
        + ", ".join(f"{name} {n}" for name, n in warned.per_call.items())
        + ".",
    ]
    out += ["", "## Listing (paginated, 1,000 keys per page)", "", *rows_table(lists)]
    out += [
        "",
        f"## Pool cap: moto with {LATENCY * 1000:.0f} ms added per request, 1 KiB GETs",
        "",
        "s3fs here uses `_cat_file(max_concurrency=1)` (one GET per read) so both "
        "libraries send the same requests. Ceiling = pool / latency.",
        "",
        "| library | concurrency | pool | req/s | pool ceiling req/s | most requests in flight "
        "at the server |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for lib, conc, pool, m, inflight in pools:
        size = pool or DEFAULT_POOL
        pool_txt = f"{pool}" if pool else f"{DEFAULT_POOL} (default)"
        out.append(
            f"| {lib} | {conc} | {pool_txt} | {fmt(m.rate)} | {fmt(size / LATENCY)} | {inflight} |"
        )
    return "\n".join(out) + "\n"
