"""aioboto3 vs s3fs (async API) against one moto server, same data, one run.

Measures small-object GETs at several concurrencies (with pools sized to the
concurrency and with botocore's default pool of 10), 64 MiB uploads/downloads and a
paginated listing of 5,000 keys, plus a raw unsigned aiohttp baseline that shows the
server's own ceiling. A second moto, with a fixed per-request latency, shows what the
default pool does when requests wait on the network rather than on the server's CPU.

    .venv/bin/python benchmarks/s3_libraries.py [--quick]

Prints Markdown tables and writes them to ``benchmarks/results/s3_libraries.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path

from harness import RESULTS_DIR, publish, step
from s3_clients import target_of
from s3_libraries_common import BUCKET, LIST_KEYS, seed
from s3_libraries_report import report
from s3_libraries_requests import baseline, listing, pool_cap, small_gets
from s3_libraries_transfers import LargeBodyWarnings, large
from servers import S3Server

RESULTS = RESULTS_DIR / "s3_libraries.md"


async def main_async(args: argparse.Namespace) -> str:
    """Start moto, seed it, run every section, return the report."""
    t0 = time.perf_counter()
    load = f"{os.getloadavg()[0]:.2f}"
    server = S3Server()
    warned = LargeBodyWarnings()
    try:
        server.start()
        server.create_bucket(BUCKET)
        t = target_of(server)
        await step("seed", seed(t, LIST_KEYS))
        base, connection = await step("baseline", baseline(t, args.requests, args.rounds))
        small = await step("small GETs", small_gets(t, args.requests, args.rounds))
        big = await step("64 MiB", large(t, args.rounds, warned))
        lists = await step("listing", listing(t, args.rounds))
    finally:
        server.stop()
    pools = await step("pool cap", pool_cap(args.requests // 2))
    load += f" at the start, {os.getloadavg()[0]:.2f} at the end"
    extra = {"connection": connection, "load": load}
    return report(args, base, small, big, lists, pools, warned, extra, time.perf_counter() - t0)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests, one repeat")
    parser.add_argument("--requests", type=int, default=400, help="requests per small-GET run")
    parser.add_argument(
        "--rounds", type=int, default=2, help="rounds the requests are split into (ABC-CBA)"
    )
    parser.add_argument("--out", type=Path, default=None, help="Markdown file to write")
    args = parser.parse_args()
    if args.quick:
        args.requests = min(args.requests, 100)
    if args.out is None:
        args.out = RESULTS.with_name("s3_libraries-quick.md") if args.quick else RESULTS
    publish(asyncio.run(main_async(args)), args.out)


if __name__ == "__main__":
    main()
