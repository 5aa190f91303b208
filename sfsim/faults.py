"""Per-org fault injection: latency, random and burst server errors, hangs, row-lock failures."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Any

from .errors import SfError

_KNOWN = {"latency_ms", "jitter_ms", "error_rate", "error_burst", "hang", "lock_rate", "lock_burst", "seed"}


@dataclass
class Faults:
    """Mutable fault settings of one org; `PATCH /__sim/orgs/{id}/faults` merges into them."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0
    error_burst: int = 0
    hang: bool = False
    lock_rate: float = 0.0
    lock_burst: int = 0
    seed: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)
    _unhang: asyncio.Event | None = field(default=None, repr=False)

    @classmethod
    def from_doc(cls, doc: dict[str, Any] | None) -> Faults:
        faults = cls()
        faults.update(doc or {})
        faults.rng.seed(faults.seed)  # deterministic by default: seed 0 unless the doc names one
        return faults

    def update(self, doc: dict[str, Any]) -> None:
        unknown = set(doc) - _KNOWN
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        for key, value in doc.items():
            setattr(self, key, value)
        if "seed" in doc:
            self.rng.seed(self.seed)
        if not self.hang and self._unhang is not None:
            self._unhang.set()
            self._unhang = None

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in sorted(_KNOWN)}

    async def before_call(self) -> SfError | None:
        """Apply latency and hang; return the injected server error for this call, if any."""
        if self.hang:
            if self._unhang is None:
                self._unhang = asyncio.Event()
            await self._unhang.wait()
        delay = self.latency_ms
        if self.jitter_ms:
            delay += self.rng.uniform(-self.jitter_ms, self.jitter_ms)
        if delay > 0:
            await asyncio.sleep(delay / 1000)
        if self.error_burst > 0:
            self.error_burst -= 1
            return server_unavailable()
        if self.error_rate and self.rng.random() < self.error_rate:
            return server_unavailable() if self.rng.random() < 0.5 else unknown_exception()
        return None

    def lock_error(self, record_id: str | None) -> SfError | None:
        """UNABLE_TO_LOCK_ROW for one write, from the burst first, then the rate."""
        hit = False
        if self.lock_burst > 0:
            self.lock_burst -= 1
            hit = True
        elif self.lock_rate and self.rng.random() < self.lock_rate:
            hit = True
        if not hit:
            return None
        suffix = f": {record_id}" if record_id else ""
        return SfError(
            400,
            "UNABLE_TO_LOCK_ROW",
            f"unable to obtain exclusive access to this record or 1 records{suffix}",
        )


def server_unavailable() -> SfError:
    return SfError(503, "SERVER_UNAVAILABLE", "Server too busy. Please try again later.")


def unknown_exception() -> SfError:
    return SfError(
        500,
        "UNKNOWN_EXCEPTION",
        "An unexpected error occurred. Please include this ErrorId if you contact support: 1234567-890",
    )
