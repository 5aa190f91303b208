"""HTTPS for the simulator: a throw-away local CA (trustme) and a server certificate it signs."""

from __future__ import annotations

import ssl
from pathlib import Path

import trustme

CA_FILE_NAME = "sfsim-ca.pem"


def server_context(
    ca_dir: Path, hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")
) -> tuple[ssl.SSLContext, Path]:
    """Create a CA, write its PEM to `<ca_dir>/sfsim-ca.pem`, return the server context and that path."""
    ca = trustme.CA(organization_name="sfsim local CA")
    cert = ca.issue_cert(*hosts)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    ca_dir.mkdir(parents=True, exist_ok=True)
    ca_path = ca_dir / CA_FILE_NAME
    ca.cert_pem.write_to_path(str(ca_path))
    return ctx, ca_path


def client_context(ca_path: Path | str) -> ssl.SSLContext:
    """A client context that trusts only the simulator's CA."""
    return ssl.create_default_context(cafile=str(ca_path))
