"""`python -m sfsim serve --host 127.0.0.1 --port P [--seed FILE] [--http] [--ca-dir DIR]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from aiohttp import web

from .admin import load_seed
from .app import build_app
from .org import Registry
from .tls import server_context


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sfsim", description="Local Salesforce REST API simulator")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the simulator")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8443)
    serve.add_argument("--seed", type=Path, help='JSON file {"orgs": {org_id: org document}}')
    serve.add_argument("--http", action="store_true", help="plain HTTP (debugging only)")
    serve.add_argument("--ca-dir", type=Path, default=Path(".run/sfsim"), help="where sfsim-ca.pem is written")
    return parser


async def _serve(args: argparse.Namespace) -> None:
    registry = Registry()
    if args.seed:
        load_seed(registry, json.loads(args.seed.read_text()))
    app = build_app(registry)
    ssl_context = None
    ca_path = None
    if not args.http:
        ssl_context, ca_path = server_context(args.ca_dir)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port, ssl_context=ssl_context)
    await site.start()
    port = args.port or runner.addresses[0][1]
    scheme = "http" if args.http else "https"
    host = f"[{args.host}]" if ":" in args.host else args.host
    registry.base_url = f"{scheme}://{host}:{port}"
    print(f"sfsim listening on {registry.base_url}", flush=True)
    if ca_path is not None:
        print(f"sfsim CA certificate: {ca_path}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        asyncio.run(_serve(args))
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
