"""Sync keys: how a record in Salesforce is tied back to the meeting and action item it came from.

Keyed orgs store the key in the external-id field `IceCubes_Sync_Key__c`; every org also gets the
marker line at the end of Descriptions and Note bodies, so a record can be recognised by reading it.
"""

from __future__ import annotations

import hashlib

MAX_KEY_LENGTH = 255
MARKER_PREFIX = "IceCubes ref: "


def _bounded(key: str) -> str:
    if len(key) <= MAX_KEY_LENGTH:
        return key
    return "h:" + hashlib.sha256(key.encode()).hexdigest()


def event_sync_key(meeting_id: str) -> str:
    return _bounded(meeting_id)


def task_sync_key(meeting_id: str, action_item_id: str) -> str:
    return _bounded(f"{meeting_id}:{action_item_id}")


def note_sync_key(meeting_id: str) -> str:
    return _bounded(f"{meeting_id}:note")


def marker(key: str) -> str:
    """The line that closes a Description or Note body we wrote."""
    return f"{MARKER_PREFIX}{key}"


def short_tag(key: str) -> str:
    """A 10-character tag of a key, for places too short for the whole key (Note Title <= 80)."""
    return hashlib.sha256(key.encode()).hexdigest()[:10]
