"""Tenant isolation (invariant 5): a token is only ever sent to an allowlisted https Salesforce host."""

from __future__ import annotations

from yarl import URL

from service.errors import InstanceNotAllowed


def _host_matches(host: str, port: int, pattern: str) -> bool:
    pattern_host, sep, pattern_port = pattern.partition(":")
    if sep:
        # An entry with a port (the simulator's `127.0.0.1:8443`) allows exactly that port.
        if not pattern_port.isdigit() or int(pattern_port) != port:
            return False
    elif port != 443:
        return False
    if pattern_host.startswith("*."):
        suffix = pattern_host[1:]  # ".my.salesforce.com"
        return host.endswith(suffix) and len(host) > len(suffix)
    return host == pattern_host


def checked_origin(url: str, patterns: tuple[str, ...], *, what: str) -> URL:
    """The URL's origin (`https://host[:port]`) if it is allowlisted; else InstanceNotAllowed."""
    try:
        parsed = URL(url)
    except (TypeError, ValueError) as exc:
        raise InstanceNotAllowed(f"the Salesforce {what} is not a valid URL") from exc
    host = (parsed.host or "").lower().rstrip(".")
    if (
        parsed.scheme != "https"
        or not host
        or parsed.user is not None
        or parsed.password is not None
        or parsed.port is None
    ):
        raise InstanceNotAllowed(
            f"the Salesforce {what} must be an https URL of a Salesforce host", detail=f"host={host!r}"
        )
    if not any(_host_matches(host, parsed.port, p) for p in patterns):
        raise InstanceNotAllowed(
            f"the Salesforce {what} host is not an allowed Salesforce host; nothing was sent to it",
            detail=f"host={host!r}",
        )
    return parsed.origin()
