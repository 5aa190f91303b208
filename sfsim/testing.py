"""Run the simulator in-process for tests: `async with running_sim() as sim` or `SimThread()`.

Both bind a free port on 127.0.0.1, serve HTTPS with a fresh local CA (unless `http=True`), and
expose `base_url`, `ca_file` and small admin helpers.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import tempfile
import threading
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from .app import REGISTRY_KEY, build_app
from .org import Registry
from .tls import client_context, server_context


@dataclass
class SimServer:
    """A running simulator: where it listens and which CA to trust."""

    base_url: str
    ca_file: Path | None
    registry: Registry = field(repr=False)

    def ssl_context(self) -> ssl.SSLContext | None:
        return client_context(self.ca_file) if self.ca_file else None

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """Call the admin API synchronously (urllib); returns the decoded JSON or None."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, context=self.ssl_context()) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def put_org(self, org_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        return self.admin("PUT", f"/__sim/orgs/{org_id}", doc)

    def token(self, org_id: str) -> str:
        """A fresh access token for the org (admin shortcut, no OAuth request)."""
        return self.admin("POST", f"/__sim/orgs/{org_id}/token")["access_token"]


async def _start(http: bool, ca_dir: Path | None) -> tuple[web.AppRunner, SimServer]:
    registry = Registry()
    app = build_app(registry)
    ssl_ctx = None
    ca_file = None
    if not http:
        directory = ca_dir or Path(tempfile.mkdtemp(prefix="sfsim-ca-"))
        ssl_ctx, ca_file = server_context(directory)
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_ctx)
    await site.start()
    port = runner.addresses[0][1]
    registry.base_url = f"{'http' if http else 'https'}://127.0.0.1:{port}"
    assert app[REGISTRY_KEY] is registry
    return runner, SimServer(registry.base_url, ca_file, registry)


@asynccontextmanager
async def running_sim(*, http: bool = False, ca_dir: Path | None = None) -> AsyncIterator[SimServer]:
    """The simulator on the current event loop, for async tests."""
    runner, server = await _start(http, ca_dir)
    try:
        yield server
    finally:
        await runner.cleanup()


class SimThread:
    """The simulator on its own event loop in a daemon thread (for sync clients such as simple-salesforce).

    Use as a context manager or call `start()` / `stop()`.
    """

    def __init__(self, *, http: bool = False, ca_dir: Path | None = None) -> None:
        self._http = http
        self._ca_dir = ca_dir
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sfsim", daemon=True)
        self._runner: web.AppRunner | None = None
        self.server: SimServer | None = None

    def start(self) -> SimServer:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(_start(self._http, self._ca_dir), self._loop)
        self._runner, self.server = future.result(timeout=30)
        return self.server

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
