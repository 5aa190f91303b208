"""Create, update, delete and upsert of one record: checks, defaults, derived fields, side effects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import SfError, bad_request, not_found
from .ids import InvalidIdError, normalize_id
from .org import Org
from .schema import OPPORTUNITY_STAGES, TASK_CLOSED_STATUSES, ObjectDef
from .store import next_id
from .validation import (
    coerce,
    integrity,
    read_only_field,
    required_missing,
    unknown_field,
)

_STAGES = {name.lower(): (closed, won) for name, closed, won in OPPORTUNITY_STAGES}
_ACTIVITIES = {"Event", "Task"}
_NAMED = {"Contact", "Lead", "User"}
_MAX_MINUTES = 1440
_MAX_MULTIDAY_MINUTES = 14 * 1440


@dataclass
class Writer:
    """Writes into one org as its connected user; `seed=True` bypasses read-only and reference checks."""

    org: Org
    seed: bool = False

    @property
    def store(self) -> Any:
        return self.org.store

    def _now(self) -> datetime:
        now = self.org.clock.now()
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def _user_id(self) -> str | None:
        user = self.org.connected_user()
        return user["Id"] if user else None

    def object_def(self, sobject: str) -> ObjectDef:
        obj = self.store.schema.get(sobject)
        if obj is None:
            raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
        return obj

    def _check_write_access(self, obj: ObjectDef) -> None:
        if not self.seed and not self.org.can_write(obj.name):
            raise bad_request(
                "INSUFFICIENT_ACCESS_OR_READONLY",
                f"insufficient access rights on object id (no edit access to {obj.name})",
            )

    def _values(self, obj: ObjectDef, body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for key, raw in body.items():
            if key == "attributes":
                continue
            f = obj.field(key)
            if f is None:
                raise unknown_field(key, obj.name)
            if f.name == "Id":
                if self.seed:
                    continue
                if creating:
                    raise bad_request("INVALID_FIELD", "Id: cannot specify Id in an insert call", ["Id"])
                continue
            if not self.seed and not (f.createable if creating else f.updateable):
                raise read_only_field(f.name)
            values[f.name] = coerce(obj, f, raw)
        return values

    # --- create -------------------------------------------------------------------------------
    def create(self, sobject: str, body: dict[str, Any]) -> str:
        obj = self.object_def(sobject)
        self._check_write_access(obj)
        values = self._values(obj, body, creating=True)
        now = self._now()
        user_id = self._user_id()
        record: dict[str, Any] = {f.name: f.default for f in obj.fields}
        record.update(
            {
                "IsDeleted": False,
                "CreatedDate": now,
                "LastModifiedDate": now,
                "SystemModstamp": now,
                "CreatedById": user_id,
                "LastModifiedById": user_id,
            }
        )
        if obj.field("OwnerId"):
            record["OwnerId"] = user_id
        if obj.name == "ContentNote":
            record["FileType"] = "SNOTE"
        record.update(values)
        if self.seed and body.get("Id"):
            try:
                record["Id"] = normalize_id(str(body["Id"]))
            except InvalidIdError:
                raise bad_request("MALFORMED_ID", f"malformed id {body['Id']}", ["Id"]) from None
        else:
            record["Id"] = next_id(obj.name)
        self._derive(obj, record, values, None)
        self._check(obj, record, None)
        self._lock(None)
        self.store.insert(obj.name, record)
        self._after_write(obj, record)
        return record["Id"]

    # --- update -------------------------------------------------------------------------------
    def update(self, sobject: str, record_id: str, body: dict[str, Any]) -> None:
        obj = self.object_def(sobject)
        self._check_write_access(obj)
        existing = self._existing(obj, record_id)
        if obj.name == "Lead" and existing.get("IsConverted") and not self.seed:
            raise bad_request("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", [])
        values = self._values(obj, body, creating=False)
        merged = dict(existing)
        merged.update(values)
        now = self._now()
        merged["LastModifiedDate"] = now
        merged["SystemModstamp"] = now
        merged["LastModifiedById"] = self._user_id()
        if self.seed:
            for key in ("LastModifiedDate", "SystemModstamp"):
                if key in values:
                    merged[key] = values[key]
        self._derive(obj, merged, values, existing)
        self._check(obj, merged, existing)
        self._lock(existing["Id"])
        changes = {k: v for k, v in merged.items() if existing.get(k) != v}
        self.store.update(existing["Id"], changes)
        self._after_write(obj, merged)

    def _existing(self, obj: ObjectDef, record_id: str) -> dict[str, Any]:
        try:
            rid = normalize_id(record_id)
        except InvalidIdError:
            raise bad_request("MALFORMED_ID", f"{obj.name} ID: id value of incorrect type: {record_id}") from None
        record = self.store.get(rid)
        if record is None or self.store.type_of(rid) != obj.name:
            if self.store.deleted(rid):
                raise bad_request("ENTITY_IS_DELETED", "entity is deleted", [])
            raise not_found()
        return record

    # --- delete -------------------------------------------------------------------------------
    def delete(self, sobject: str, record_id: str) -> None:
        obj = self.object_def(sobject)
        self._check_write_access(obj)
        existing = self._existing(obj, record_id)
        self._lock(existing["Id"])
        self.store.delete(existing["Id"])

    # --- upsert -------------------------------------------------------------------------------
    def upsert(
        self, sobject: str, ext_field: str, value: str, body: dict[str, Any], *, update_only: bool = False
    ) -> tuple[str, bool]:
        """Returns (id, created). Raises 404 for a non-external-id field, 300 for several matches."""
        obj = self.object_def(sobject)
        f = obj.field(ext_field)
        if f is None or not (f.external_id or f.name == "Id"):
            raise not_found(f"Provided external ID field does not exist or is not accessible: {ext_field}")
        body = {k: v for k, v in body.items() if k != "attributes"}
        if f.name == "Id":
            if value:
                self.update(obj.name, value, body)
                return normalize_id(value), False
            if update_only:
                raise not_found()
            return self.create(obj.name, body), True
        matches = self.store.index_lookup(obj.name, f.name, value.lower()) or []
        if len(matches) > 1:
            raise MultipleMatchesError([m["Id"] for m in matches])
        body_value = next((v for k, v in body.items() if k.lower() == f.name.lower()), None)
        if body_value is not None and str(body_value) != value:
            raise bad_request(
                "INVALID_FIELD",
                f"The value of {f.name} in the URL ({value}) does not match the body ({body_value})",
                [f.name],
            )
        if matches:
            self.update(obj.name, matches[0]["Id"], body)
            return matches[0]["Id"], False
        if update_only:
            raise not_found()
        return self.create(obj.name, {**body, f.name: value}), True

    # --- rules --------------------------------------------------------------------------------
    def _lock(self, record_id: str | None) -> None:
        if self.seed:
            return
        err = self.org.faults.lock_error(record_id)
        if err is not None:
            raise err

    def _derive(
        self, obj: ObjectDef, record: dict[str, Any], values: dict[str, Any], existing: dict[str, Any] | None
    ) -> None:
        if obj.name in _NAMED:
            record["Name"] = " ".join(p for p in (record.get("FirstName"), record.get("LastName")) if p)
        if obj.name == "User" and self.seed:
            record.setdefault("UserType", "Standard")
            if record.get("UserType") is None:
                record["UserType"] = "Standard"
            if record.get("IsActive") is None:
                record["IsActive"] = True
        if obj.name == "Opportunity" and not (self.seed and "IsClosed" in values):
            closed, won = _STAGES.get(str(record.get("StageName") or "").lower(), (False, False))
            record["IsClosed"], record["IsWon"] = closed, won
        if obj.name == "Task":
            record["IsClosed"] = record.get("Status") in TASK_CLOSED_STATUSES
            if record["IsClosed"] and not record.get("CompletedDateTime"):
                record["CompletedDateTime"] = self._now()
        if obj.name == "Event":
            self._derive_event(record, values, existing)
        if obj.name in _ACTIVITIES:
            record["AccountId"] = self._activity_account(record)

    def _derive_event(self, record: dict[str, Any], values: dict[str, Any], existing: dict[str, Any] | None) -> None:
        old = existing or {}
        if record.get("IsAllDayEvent"):
            day = values.get("ActivityDate") or (
                values["StartDateTime"].date() if values.get("StartDateTime") else old.get("ActivityDate")
            )
            if day is None:
                raise required_missing(["ActivityDate"])
            minutes = values.get("DurationInMinutes") or old.get("DurationInMinutes") or _MAX_MINUTES
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        else:
            given_start = values.get("StartDateTime")
            given_activity = values.get("ActivityDateTime")
            if given_start and given_activity and given_start != given_activity:
                raise integrity("ActivityDateTime must be null or equal to StartDateTime", ["ActivityDateTime"])
            start_text = given_start or given_activity or old.get("StartDateTime")
            if start_text is None:
                raise required_missing(["ActivityDateTime"])
            start = start_text
            end_given = "EndDateTime" in values and values["EndDateTime"] is not None
            dur_given = "DurationInMinutes" in values and values["DurationInMinutes"] is not None
            if end_given and dur_given:
                minutes = int(values["DurationInMinutes"])
                if values["EndDateTime"] != start + timedelta(minutes=minutes):
                    raise integrity(
                        "EndDateTime and DurationInMinutes disagree: give one, or both consistent",
                        ["EndDateTime", "DurationInMinutes"],
                    )
            elif end_given:
                minutes = int((values["EndDateTime"] - start).total_seconds() // 60)
            elif dur_given:
                minutes = int(values["DurationInMinutes"])
            elif old.get("DurationInMinutes") is not None:
                minutes = int(old["DurationInMinutes"])  # a moved start keeps the duration
            else:
                raise required_missing(["DurationInMinutes"])
        if minutes < 0 or (minutes > _MAX_MINUTES and not self.org.multiday_events):
            raise integrity("Duration must be between 0 and 1440 minutes", ["DurationInMinutes"])
        if minutes > _MAX_MULTIDAY_MINUTES:
            raise integrity("Multiday events can't last longer than 14 days", ["DurationInMinutes"])
        record["StartDateTime"] = start
        record["ActivityDateTime"] = start
        record["EndDateTime"] = start + timedelta(minutes=minutes)
        record["DurationInMinutes"] = minutes
        record["ActivityDate"] = start.date()

    def _activity_account(self, record: dict[str, Any]) -> str | None:
        what = self.store.get(record["WhatId"]) if record.get("WhatId") else None
        if what is not None:
            what_type = self.store.type_of(what["Id"])
            if what_type == "Account":
                return what["Id"]
            if what_type == "Opportunity":
                return what.get("AccountId")
        who = self.store.get(record["WhoId"]) if record.get("WhoId") else None
        if who is not None and self.store.type_of(who["Id"]) == "Contact":
            return who.get("AccountId")
        return None

    def _check(self, obj: ObjectDef, record: dict[str, Any], existing: dict[str, Any] | None) -> None:
        if not self.seed:
            missing = [
                f.name
                for f in obj.fields
                if f.required and f.name != "Id" and record.get(f.name) in (None, "") and f.createable
            ]
            if missing:
                restricted = [m for m in missing if (obj.name, m) in {("Task", "Status"), ("Task", "Priority")}]
                if restricted:
                    raise bad_request(
                        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                        f"{restricted[0]}: bad value for restricted picklist field: null",
                        restricted,
                    )
                raise required_missing(missing)
            self._check_references(obj, record, existing)
        if (
            obj.name in _ACTIVITIES
            and record.get("WhoId")
            and record.get("WhatId")
            and self.store.type_of(record["WhoId"]) == "Lead"
        ):
            raise integrity("When the Name (WhoId) is a Lead, Related To (WhatId) must be empty", ["WhoId", "WhatId"])
        for rule in self.org.validation_rules:
            if rule.sobject.lower() != obj.name.lower():
                continue
            value = record.get(obj.field(rule.field).name if obj.field(rule.field) else rule.field)
            if value is not None and rule.contains.lower() in str(value).lower():
                fields = [rule.error_field] if rule.error_field else []
                raise bad_request("FIELD_CUSTOM_VALIDATION_EXCEPTION", rule.message, fields)
        self._check_unique(obj, record)

    def _check_references(self, obj: ObjectDef, record: dict[str, Any], existing: dict[str, Any] | None) -> None:
        for f in obj.fields:
            if f.type != "reference" or f.name in {"CreatedById", "LastModifiedById"}:
                continue
            rid = record.get(f.name)
            if rid is None or (existing is not None and existing.get(f.name) == rid and f.name != "OwnerId"):
                continue
            target = self.store.get(rid)
            target_type = self.store.type_of(rid) if target is not None else None
            if target is None or (f.reference_to and target_type not in f.reference_to):
                if f.reference_to and all(self.store.schema.get(t) is None for t in f.reference_to):
                    continue  # references to objects the simulator does not model (Profile)
                raise bad_request("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [f.name])
            if f.name == "OwnerId" and target_type == "User" and target.get("IsActive") is False:
                raise bad_request("INACTIVE_OWNER_OR_USER", "operation performed with inactive user as owner", [])

    def _check_unique(self, obj: ObjectDef, record: dict[str, Any]) -> None:
        for f in obj.fields:
            if not f.unique or f.name == "Id" or record.get(f.name) in (None, ""):
                continue
            for other in self.store.index_lookup(obj.name, f.name, str(record[f.name]).lower()) or []:
                if other["Id"] != record["Id"]:
                    raise bad_request(
                        "DUPLICATE_VALUE",
                        f"duplicate value found: {f.name} duplicates value on record with id: {other['Id']}",
                        [f.name],
                    )
        if obj.name == "EventRelation" and record.get("EventId") and record.get("RelationId"):
            for other in self.store.index_lookup("EventRelation", "EventId", record["EventId"].lower()) or []:
                if other["Id"] != record["Id"] and other.get("RelationId") == record["RelationId"]:
                    raise bad_request(
                        "DUPLICATE_VALUE",
                        "duplicate value found: RelationId duplicates value on record with id: " + other["Id"],
                        ["RelationId"],
                    )

    def _after_write(self, obj: ObjectDef, record: dict[str, Any]) -> None:
        if obj.name == "OpportunityContactRole" and record.get("IsPrimary"):
            for other in self.store.index_lookup(obj.name, "OpportunityId", str(record["OpportunityId"]).lower()) or []:
                if other["Id"] != record["Id"] and other.get("IsPrimary"):
                    self.store.update(other["Id"], {"IsPrimary": False})
        if obj.name in _ACTIVITIES and record.get("ActivityDate"):
            day = record["ActivityDate"]
            for key in ("WhoId", "WhatId", "AccountId"):
                target_id = record.get(key)
                target = self.store.get(target_id) if target_id else None
                if target is None or "LastActivityDate" not in target:
                    continue
                if target["LastActivityDate"] is None or target["LastActivityDate"] < day:
                    self.store.update(target_id, {"LastActivityDate": day})


class MultipleMatchesError(SfError):
    """Upsert by external id matched several records: HTTP 300 with the matching record URLs."""

    def __init__(self, ids: list[str]) -> None:
        super().__init__(300, "MULTIPLE_CHOICES", "External ID matched more than one record")
        self.ids = ids
