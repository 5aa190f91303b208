"""Generates `schemas/*.schema.json` from the pydantic models: `python -m service.schemas [--check]`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from service.domain.messages import MeetingSummary, OrgConfig, RetryRequest, SyncResult

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"

CONTRACTS: dict[str, type[BaseModel]] = {
    "meeting-summary": MeetingSummary,
    "org-config": OrgConfig,
    "sync-result": SyncResult,
    "sync-retry": RetryRequest,
}


def rendered() -> dict[str, str]:
    """File name -> JSON Schema text, as the models define it today."""
    out = {}
    for name, model in CONTRACTS.items():
        # What we read is described as accepted; what we write, as produced.
        produced = model in (SyncResult, RetryRequest)
        mode: Literal["validation", "serialization"] = "serialization" if produced else "validation"
        schema = model.model_json_schema(mode=mode)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://github.com/icecubes/sfsync/schemas/{name}.schema.json"
        out[f"{name}.schema.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for filename, text in rendered().items():
        path = SCHEMA_DIR / filename
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(filename)
        else:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text)
    if stale:
        print("schemas out of date (run python -m service.schemas): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
