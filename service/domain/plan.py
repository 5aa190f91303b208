"""The write plan: which Salesforce records to create or update for one meeting revision.

`plan_writes()` (in `planning.py`) builds it; the Salesforce client turns it into ONE composite
request. Values that point at a record written earlier in the same request use `Ref`, which the
client renders as `@{<ref>.id}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from service.domain.messages import Reason

SYNC_KEY_FIELD = "IceCubes_Sync_Key__c"


@dataclass(frozen=True)
class Ref:
    """The Id of a record created earlier in the same composite request."""

    ref: str


FieldValue = str | int | float | bool | None | Ref


class WriteAction(StrEnum):
    CREATE = "create"  # POST
    UPDATE = "update"  # PATCH by Id (record_id set)
    UPSERT = "upsert"  # PATCH by external id (sync_key set; org has SYNC_KEY_FIELD)


@dataclass(frozen=True)
class RecordWrite:
    ref: str  # composite referenceId: letters, digits and _ only (e.g. "event", "task_3")
    sobject: str  # Event, Task, Note, Contact, EventRelation
    action: WriteAction
    fields: Mapping[str, FieldValue]
    label: str  # how results name it: "event", "note", "task:<action item id>", "contact:<email>"
    record_id: str | None = None
    sync_key: str | None = None
    action_item_id: str | None = None


@dataclass(frozen=True)
class WritePlan:
    writes: tuple[RecordWrite, ...] = ()  # dependency order: contacts, event, attendees, note, tasks
    skip: Reason | None = None  # set when nothing must be written (e.g. internal_only)
    removed_action_item_ids: tuple[str, ...] = ()  # in the ledger but gone from this revision
    owner_ids: Mapping[str, str] = field(default_factory=dict)  # label -> User Id chosen
    attendee_ids: tuple[str, ...] = ()  # RelationIds already on the Event (ledger or prior sync)

    @property
    def is_empty(self) -> bool:
        return not self.writes
