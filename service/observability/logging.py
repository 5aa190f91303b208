"""structlog JSON logs; emails are masked before they reach a log line (invariant 6)."""

from __future__ import annotations

import hashlib
import logging
import sys

import structlog


def mask_email(email: str | None) -> str:
    """`jo…@techcorp.com#1a2b3c`: enough to tell two apart and find the domain, not to read the address."""
    if not email or "@" not in email:
        return "<none>"
    local, _, domain = email.strip().lower().rpartition("@")
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:6]
    return f"{local[:2]}…@{domain}#{digest}"


def configure(level: str = "INFO") -> None:
    logging.basicConfig(stream=sys.stderr, level=level.upper(), format="%(message)s")
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=True,
    )
