"""Indexed email lookups per second against sfsim (one server process = one core).

Starts `python -m sfsim serve` on a free port (HTTPS, its own CA), seeds an org of N contacts,
then runs `SELECT Id, Email, AccountId FROM Contact WHERE Email = '<x>'` over HTTPS keep-alive
from an aiohttp client with some concurrency, and prints queries/s.

    .venv/bin/python bench/sfsim_queries.py [--contacts 10000] [--seconds 10] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

API = "/services/data/v60.0"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _wait_ready(base: str, ctx: ssl.SSLContext | None, proc: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            if proc.poll() is not None:
                raise RuntimeError("sfsim exited early")
            try:
                async with session.get(base + "/services/data", ssl=ctx) as resp:
                    if resp.status == 200:
                        return
            except (aiohttp.ClientError, OSError):
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("sfsim did not start")


async def run(args: argparse.Namespace, proc: subprocess.Popen[bytes], base: str, ca_file: Path) -> None:
    ctx = ssl.create_default_context(cafile=str(ca_file))
    await _wait_ready(base, ctx, proc)
    emails = [f"person{i}@company{i % 500}.example.com" for i in range(args.contacts)]
    doc = {
        "edition": "unlimited",
        "records": {
            "User": [{"Email": "integration@ice.example.com", "LastName": "Integration"}],
            "Account": [{"Id": f"001{i:012d}", "Name": f"Company {i}"} for i in range(500)],
            "Contact": [
                {"LastName": f"P{i}", "Email": e, "AccountId": f"001{i % 500:012d}"} for i, e in enumerate(emails)
            ],
        },
    }
    connector = aiohttp.TCPConnector(limit=args.concurrency, ssl=ctx)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.put(f"{base}/__sim/orgs/bench", json=doc) as resp:
            assert resp.status == 200, await resp.text()
        async with session.post(f"{base}/__sim/orgs/bench/token") as resp:
            token = (await resp.json())["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        rng = random.Random(1)
        done = 0
        errors = 0
        deadline = time.monotonic() + args.seconds

        async def worker() -> None:
            nonlocal done, errors
            while time.monotonic() < deadline:
                email = rng.choice(emails).upper() if rng.random() < 0.5 else rng.choice(emails)
                q = f"SELECT Id, Email, AccountId FROM Contact WHERE Email = '{email}'"
                async with session.get(f"{base}{API}/query", params={"q": q}, headers=headers) as resp:
                    body = await resp.read()
                    if resp.status != 200 or json.loads(body)["totalSize"] != 1:
                        errors += 1
                done += 1

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        elapsed = time.monotonic() - started
    print(f"command: {' '.join(['python', 'bench/sfsim_queries.py', *sys.argv[1:]])}")
    print(
        f"contacts={args.contacts} concurrency={args.concurrency} seconds={elapsed:.1f} "
        f"queries={done} errors={errors} queries/s={done / elapsed:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    port = _free_port()
    ca_dir = Path(tempfile.mkdtemp(prefix="sfsim-bench-"))
    cmd = [sys.executable, "-m", "sfsim", "serve", "--host", "127.0.0.1", "--port", str(port), "--ca-dir", str(ca_dir)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    try:
        ca_file = ca_dir / "sfsim-ca.pem"
        for _ in range(300):
            if ca_file.exists():
                break
            time.sleep(0.05)
        asyncio.run(run(args, proc, f"https://127.0.0.1:{port}", ca_file))
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
