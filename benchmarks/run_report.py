"""``run.py``'s Markdown report: the table of every section, each row's ratios to its
references, and the findings spelled out from this run's numbers."""

from __future__ import annotations

import argparse
from importlib.metadata import version

from harness import Measure, fmt, machine
from run_common import (
    FILES,
    HTTP_LATENCY,
    LOCAL_CONCURRENCY,
    LOCAL_ROUND_FACTOR,
    NET_THREADS,
    S3_CONCURRENCY,
    Row,
    Section,
)
from run_data_sections import LISTING_SIZES


def ratio_text(section: Section, row: Row) -> str:
    """``0.52× s3fs raw; 0.25× aioboto3 raw`` for the row's references."""
    if not row.refs:
        return "reference"
    labels = {r.key: r.variant for r in section.rows}
    rate = section.results[row.key].rate
    parts = []
    for ref in row.refs:
        value = rate / section.results[ref].rate
        parts.append(f"**{value:.2f}×** {labels[ref]}")
    return "; ".join(parts)


def findings(sections: dict[str, Section]) -> list[str]:
    """A few ratios spelled out, computed from this run."""

    def x(a: Measure, b: Measure, digits: int = 2) -> str:
        return f"**{a.rate / b.rate:.{digits}f}×**"

    out: list[str] = [s.finding for s in sections.values() if s.finding]
    if "engines" in sections:
        e = sections["engines"].results

        def cpu(a: str, b: str) -> str:
            return f"**{e[a].cpu_us / e[b].cpu_us:.2f}×**"

        out.append(
            f"* S3 engines, fast server: async GET on the obstore engine costs "
            f"{cpu('async_obstore', 'raw_obstore')} raw obstore's client CPU "
            f"({fmt(e['async_obstore'].cpu_us)} vs {fmt(e['raw_obstore'].cpu_us)} µs) at "
            f"{x(e['async_obstore'], e['raw_obstore'])} its rate; sync GET "
            f"{cpu('sync_obstore', 'raw_obstore_sync')} obstore sync's CPU at "
            f"{x(e['sync_obstore'], e['raw_obstore_sync'])} its rate. The fsspec engine: "
            f"{fmt(e['async_fsspec'].cpu_us)} µs per async GET, "
            f"{fmt(e['sync_fsspec'].cpu_us)} µs per sync GET."
        )
    if "parquet" in sections:
        pq = sections["parquet"].results
        out.append(
            "* Parquet from S3 with pandas: through `genro://` at "
            f"{x(pq['genro_url'], pq['raw_s3fs'])} the rate of s3fs directly "
            f"({fmt(pq['genro_url'].rate)} vs {fmt(pq['raw_s3fs'].rate)} MiB/s)."
        )
    if "listing" in sections:
        listing = sections["listing"].results
        small, big = LISTING_SIZES[0], LISTING_SIZES[-1]
        out.append(
            f"* Listing scale: per entry, `children()` of {big:,} entries runs at "
            + ", ".join(
                f"{x(listing[f'{m}_{a}_{big}'], listing[f'{m}_{a}_{small}'])} ({label})"
                for m, a, label in (
                    ("mem", "sync", "memory, sync"),
                    ("mem", "async", "memory, async"),
                    ("local", "sync", "local, sync"),
                    ("local", "async", "local, async"),
                )
            )
            + f" the rate of {small:,} entries (1.0 is linear)."
        )
    if not {"local", "http", "s3"} <= set(sections):
        return out
    local = sections["local"].results
    http = sections["http"].results
    s3 = sections["s3"].results
    out[:0] = [
        "* aiofiles vs one thread hop, one small read at a time: raw aiofiles "
        f"open+read+close takes {x(local['raw_thread_1'], local['raw_aiofiles_1'], 1)} the "
        "time of `to_thread(Path.read_bytes)`; through the library, `open()`+`read()` takes "
        f"{x(local['api_read_1'], local['api_open_1'], 1)} the time of `read_bytes()` "
        "(DESIGN guessed ~3×).",
        "* Local `read_bytes()` vs raw `to_thread(Path.read_bytes)`: "
        f"{x(local['api_read_1'], local['raw_thread_1'])} (1 task), "
        f"{x(local['api_read_c'], local['raw_thread_c'])} ({LOCAL_CONCURRENCY} tasks).",
        f"* HTTP, {FILES} reads at {HTTP_LATENCY * 1000:.0f} ms each: the native async mount "
        f"reads {x(http['api_native'], http['sync_seq'], 0)} as fast as the sequential sync "
        f"API and {x(http['api_native'], http['sync_pool'], 1)} the sync API in "
        f"{NET_THREADS} threads; vs raw aiohttp {x(http['api_native'], http['raw_aiohttp'])} "
        f"(one request at a time without latency: "
        f"{x(http['api_native_1'], http['raw_aiohttp_1'])}).",
        f"* S3, {S3_CONCURRENCY} in flight: the async mount reads at "
        f"{x(s3['api_native'], s3['raw_aioboto3'])} raw aioboto3 and "
        f"{x(s3['api_native'], s3['raw_s3fs_1'])} a single-GET s3fs `_cat_file`; client CPU "
        f"per read {fmt(s3['api_native'].cpu_us)} µs vs {fmt(s3['raw_aioboto3'].cpu_us)} µs.",
    ]
    return out


def report(sections: dict[str, Section], args: argparse.Namespace, seconds: float) -> str:
    """The Markdown report."""
    libs = ", ".join(
        f"{p} {version(p)}" for p in ("aiofiles", "aiohttp", "fsspec", "s3fs", "aioboto3", "moto")
    )
    out = [
        "# genro-storage benchmarks",
        "",
        f"Machine: {machine()} at the end (other work may share it). {libs}.",
        f"Command: `python benchmarks/run.py{' --quick' if args.quick else ''}"
        f"{' --only ' + ' '.join(args.only) if args.only else ''}`, "
        f"{seconds:.0f} s. Each variant's operations are split into rounds (local and "
        f"memory {LOCAL_ROUND_FACTOR * args.rounds}, network {args.rounds}) run in ABC-CBA "
        "order and totalled (not best-of). Client CPU is this process's CPU "
        "time per operation, all threads included, servers excluded.",
        "",
        "## Findings",
        "",
        *findings(sections),
    ]
    for section in sections.values():
        out += [
            "",
            f"## {section.title}",
            "",
            section.note,
            "",
            f"| operation | variant | {section.unit} | client CPU µs/op | ratio ({section.unit}) |",
            "|---|---|---:|---:|---|",
        ]
        for row in section.rows:
            m = section.results[row.key]
            out.append(
                f"| {row.operation} | {row.variant} | {fmt(m.rate)} | {fmt(m.cpu_us)} "
                f"| {ratio_text(section, row)} |"
            )
    return "\n".join(out) + "\n"
