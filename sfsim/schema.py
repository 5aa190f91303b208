"""The simulator's object model: standard objects used by meeting sync, plus per-org custom fields.

Lookups of objects, fields and relationships are case-insensitive (as in Salesforce) and return
definitions carrying the canonical API name. A `Schema` is immutable; an org with custom fields
gets its own `Schema` from `Schema.default().with_custom_fields({...})`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from sfsim.ids import KEY_PREFIXES

FieldType = Literal[
    "id",
    "reference",
    "string",
    "textarea",
    "email",
    "url",
    "picklist",
    "boolean",
    "int",
    "double",
    "currency",
    "date",
    "datetime",
    "phone",
]
FIELD_TYPES: frozenset[str] = frozenset(FieldType.__args__)  # type: ignore[attr-defined]
STRING_TYPES: frozenset[str] = frozenset({"id", "reference", "string", "textarea", "email", "url", "picklist", "phone"})
NUMBER_TYPES: frozenset[str] = frozenset({"int", "double", "currency"})
# A textarea longer than this is a "long text area": not filterable, not sortable.
_SHORT_TEXTAREA = 255


class SchemaError(ValueError):
    """An invalid object or field definition."""


@dataclass(frozen=True)
class PicklistValue:
    value: str
    default: bool = False
    active: bool = True


@dataclass(frozen=True)
class FieldDef:
    """One field.

    `required` means the value must be non-null once created; when `default` is set (Task Status,
    Priority) the default is applied first, so the caller may omit it.
    """

    name: str
    type: FieldType
    length: int = 0
    required: bool = False
    createable: bool = True
    updateable: bool = True
    filterable: bool | None = None  # None: derived (long textareas are not filterable)
    nillable: bool | None = None  # None: derived (not required, not boolean)
    picklist: tuple[PicklistValue, ...] = ()
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    external_id: bool = False
    unique: bool = False
    default: Any = None
    label: str = ""
    id_lookup: bool = False

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise SchemaError(f"unknown field type {self.type!r} for {self.name}")
        if isinstance(self.picklist, list | tuple) and any(isinstance(v, str) for v in self.picklist):
            object.__setattr__(
                self,
                "picklist",
                tuple(v if isinstance(v, PicklistValue) else PicklistValue(v) for v in self.picklist),
            )
        if isinstance(self.reference_to, list | str):
            refs = (self.reference_to,) if isinstance(self.reference_to, str) else tuple(self.reference_to)
            object.__setattr__(self, "reference_to", refs)
        if self.filterable is None:
            long_text = self.type == "textarea" and self.length > _SHORT_TEXTAREA
            object.__setattr__(self, "filterable", not long_text)
        if self.nillable is None:
            object.__setattr__(self, "nillable", not self.required and self.type not in {"boolean", "id"})
        if not self.label:
            object.__setattr__(self, "label", _label(self.name))
        if self.type == "picklist" and self.default is None:
            defaults = [v.value for v in self.picklist if v.default]
            if defaults:
                object.__setattr__(self, "default", defaults[0])

    @property
    def custom(self) -> bool:
        return self.name.endswith("__c")

    @property
    def polymorphic(self) -> bool:
        return len(self.reference_to) > 1

    @property
    def is_string(self) -> bool:
        return self.type in STRING_TYPES

    @property
    def sortable(self) -> bool:
        return bool(self.filterable)

    def picklist_values(self) -> list[str]:
        return [v.value for v in self.picklist if v.active]


@dataclass(frozen=True)
class ChildRelationship:
    name: str  # e.g. "Opportunities"
    child_sobject: str  # e.g. "Opportunity"
    field: str  # e.g. "AccountId"


@dataclass(frozen=True)
class ObjectDef:
    name: str
    key_prefix: str
    fields: tuple[FieldDef, ...]
    child_relationships: tuple[ChildRelationship, ...] = ()
    label: str = ""
    label_plural: str = ""
    _by_lower: Mapping[str, FieldDef] = field(default_factory=dict, repr=False, compare=False)
    _rel_by_lower: Mapping[str, FieldDef] = field(default_factory=dict, repr=False, compare=False)
    _child_by_lower: Mapping[str, ChildRelationship] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_lower: dict[str, FieldDef] = {}
        rels: dict[str, FieldDef] = {}
        for f in self.fields:
            key = f.name.lower()
            if key in by_lower:
                raise SchemaError(f"duplicate field {f.name} on {self.name}")
            by_lower[key] = f
            if f.relationship_name:
                rels[f.relationship_name.lower()] = f
        object.__setattr__(self, "_by_lower", by_lower)
        object.__setattr__(self, "_rel_by_lower", rels)
        object.__setattr__(self, "_child_by_lower", {c.name.lower(): c for c in self.child_relationships})
        if not self.label:
            object.__setattr__(self, "label", _label(self.name))
        if not self.label_plural:
            object.__setattr__(self, "label_plural", self.label + "s")

    def field(self, name: str) -> FieldDef | None:
        """The field named `name` in any case, or None."""
        return self._by_lower.get(name.lower())

    def parent_relationship(self, name: str) -> FieldDef | None:
        """The reference field whose relationship name is `name` (any case): `Account` -> AccountId."""
        return self._rel_by_lower.get(name.lower())

    def child_relationship(self, name: str) -> ChildRelationship | None:
        """The child relationship `name` (any case): Account `Opportunities` -> Opportunity.AccountId."""
        return self._child_by_lower.get(name.lower())

    def with_custom_fields(self, custom: Iterable[FieldDef]) -> ObjectDef:
        """A copy with extra (custom) fields; a field of the same name is replaced."""
        custom = list(custom)
        replaced = {f.name.lower() for f in custom}
        kept = tuple(f for f in self.fields if f.name.lower() not in replaced)
        return replace(self, fields=kept + tuple(custom))

    def with_child_relationships(self, extra: Iterable[ChildRelationship]) -> ObjectDef:
        return replace(self, child_relationships=self.child_relationships + tuple(extra))


class Schema:
    """An org's set of objects (immutable; `with_custom_fields` returns a new Schema)."""

    def __init__(self, objects: Iterable[ObjectDef]) -> None:
        self._objects: dict[str, ObjectDef] = {o.name.lower(): o for o in objects}

    @staticmethod
    @functools.cache
    def default() -> Schema:
        """The standard objects (shared, immutable)."""
        return Schema(_standard_objects())

    def get(self, sobject: str) -> ObjectDef | None:
        """The object named `sobject` in any case, or None."""
        return self._objects.get(sobject.lower())

    def __getitem__(self, sobject: str) -> ObjectDef:
        obj = self.get(sobject)
        if obj is None:
            raise KeyError(sobject)
        return obj

    def __contains__(self, sobject: object) -> bool:
        return isinstance(sobject, str) and sobject.lower() in self._objects

    @property
    def objects(self) -> list[ObjectDef]:
        return list(self._objects.values())

    def with_custom_fields(self, custom: Mapping[str, Iterable[FieldDef]]) -> Schema:
        """A new Schema with custom fields added: `{"Event": [FieldDef(...)]}`."""
        objects = dict(self._objects)
        for sobject, fields in custom.items():
            obj = self.get(sobject)
            if obj is None:
                raise SchemaError(f"unknown sObject {sobject}")
            extra = list(fields)
            for f in extra:
                if not f.custom:
                    raise SchemaError(f"custom field names end with __c: {f.name}")
            objects[obj.name.lower()] = obj.with_custom_fields(extra)
        return Schema(objects.values())

    def describe(self, sobject: str) -> dict[str, Any]:
        """The sObject describe JSON (`GET /sobjects/{Type}/describe`) of one object."""
        obj = self[sobject]
        return {
            "name": obj.name,
            "label": obj.label,
            "labelPlural": obj.label_plural,
            "keyPrefix": obj.key_prefix,
            "custom": False,
            "createable": True,
            "updateable": True,
            "deletable": True,
            "queryable": True,
            "retrieveable": True,
            "searchable": True,
            "urls": {
                "sobject": f"/services/data/v60.0/sobjects/{obj.name}",
                "describe": f"/services/data/v60.0/sobjects/{obj.name}/describe",
                "rowTemplate": f"/services/data/v60.0/sobjects/{obj.name}/{{ID}}",
            },
            "fields": [_describe_field(f) for f in obj.fields],
            "childRelationships": [
                {
                    "childSObject": c.child_sobject,
                    "field": c.field,
                    "relationshipName": c.name,
                    "cascadeDelete": False,
                    "deprecatedAndHidden": False,
                }
                for c in obj.child_relationships
            ],
        }


def describe(sobject: str, schema: Schema | None = None) -> dict[str, Any]:
    """Describe JSON of `sobject` in `schema` (the default schema when omitted)."""
    return (schema or Schema.default()).describe(sobject)


def _describe_field(f: FieldDef) -> dict[str, Any]:
    soap = {
        "id": "tns:ID",
        "reference": "tns:ID",
        "boolean": "xsd:boolean",
        "int": "xsd:int",
        "double": "xsd:double",
        "currency": "xsd:double",
        "date": "xsd:date",
        "datetime": "xsd:dateTime",
    }.get(f.type, "xsd:string")
    return {
        "name": f.name,
        "label": f.label,
        "type": f.type,
        "soapType": soap,
        "length": f.length if f.is_string else 0,
        "byteLength": f.length * 3 if f.is_string else 0,
        "precision": 18 if f.type in {"double", "currency"} else 0,
        "scale": 2 if f.type in {"double", "currency"} else 0,
        "digits": 9 if f.type == "int" else 0,
        "nillable": f.nillable,
        "createable": f.createable,
        "updateable": f.updateable,
        "filterable": f.filterable,
        "sortable": f.sortable,
        "groupable": bool(f.filterable) and f.type not in {"double", "currency", "datetime"},
        "custom": f.custom,
        "externalId": f.external_id,
        "unique": f.unique,
        "idLookup": f.id_lookup or f.type == "id" or f.external_id,
        "caseSensitive": False,
        "calculated": False,
        "defaultedOnCreate": f.default is not None or f.type == "boolean" or not f.createable,
        "defaultValue": f.default,
        "picklistValues": [
            {
                "value": v.value,
                "label": v.value,
                "active": v.active,
                "defaultValue": v.default,
                "validFor": None,
            }
            for v in f.picklist
        ],
        "referenceTo": list(f.reference_to),
        "relationshipName": f.relationship_name,
        "polymorphicForeignKey": f.polymorphic,
    }


def _label(name: str) -> str:
    base = name.removesuffix("__c").removesuffix("Id") or name
    out = []
    for i, ch in enumerate(base.replace("_", " ")):
        if i and ch.isupper() and base[i - 1].islower():
            out.append(" ")
        out.append(ch)
    return "".join(out)


# --- standard objects -------------------------------------------------------------------------

# Standard opportunity stages: (value, is_closed, is_won). IsClosed/IsWon derive from these.
OPPORTUNITY_STAGES: tuple[tuple[str, bool, bool], ...] = (
    ("Prospecting", False, False),
    ("Qualification", False, False),
    ("Needs Analysis", False, False),
    ("Value Proposition", False, False),
    ("Id. Decision Makers", False, False),
    ("Perception Analysis", False, False),
    ("Proposal/Price Quote", False, False),
    ("Negotiation/Review", False, False),
    ("Closed Won", True, True),
    ("Closed Lost", True, False),
)
TASK_STATUSES: tuple[str, ...] = (
    "Not Started",
    "In Progress",
    "Completed",
    "Waiting on someone else",
    "Deferred",
)
TASK_CLOSED_STATUSES: frozenset[str] = frozenset({"Completed"})
LEAD_STATUSES: tuple[str, ...] = (
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
)
OPPORTUNITY_CONTACT_ROLES: tuple[str, ...] = (
    "Business User",
    "Decision Maker",
    "Economic Buyer",
    "Economic Decision Maker",
    "Evaluator",
    "Executive Sponsor",
    "Influencer",
    "Technical Buyer",
    "Other",
)
# Parents a Note can hang under, and targets of WhatId.
NOTE_PARENTS: tuple[str, ...] = ("Account", "Contact", "Opportunity", "Lead")
WHAT_TARGETS: tuple[str, ...] = ("Account", "Opportunity")
WHO_TARGETS: tuple[str, ...] = ("Contact", "Lead")


def _pick(*values: str, default: str | None = None) -> tuple[PicklistValue, ...]:
    return tuple(PicklistValue(v, default=(v == default)) for v in values)


def _ro(name: str, type_: FieldType, **kw: Any) -> FieldDef:
    """A read-only (system or derived) field."""
    return FieldDef(name=name, type=type_, createable=False, updateable=False, **kw)


def _ref(name: str, targets: Iterable[str], rel: str, **kw: Any) -> FieldDef:
    return FieldDef(name=name, type="reference", length=18, reference_to=tuple(targets), relationship_name=rel, **kw)


def _system_fields() -> list[FieldDef]:
    return [
        _ro("Id", "id", length=18, nillable=False),
        _ro("IsDeleted", "boolean", nillable=False, default=False),
        _ro("CreatedDate", "datetime", nillable=False),
        _ro(
            "CreatedById",
            "reference",
            length=18,
            reference_to=("User",),
            relationship_name="CreatedBy",
            nillable=False,
        ),
        _ro("LastModifiedDate", "datetime", nillable=False),
        _ro(
            "LastModifiedById",
            "reference",
            length=18,
            reference_to=("User",),
            relationship_name="LastModifiedBy",
            nillable=False,
        ),
        _ro("SystemModstamp", "datetime", nillable=False),
    ]


def _owner() -> FieldDef:
    # Defaults to the running user when omitted, so not required on create.
    return _ref("OwnerId", ("User",), "Owner", nillable=False)


def _obj(name: str, fields: list[FieldDef], children: Iterable[tuple[str, str, str]] = (), **kw: Any) -> ObjectDef:
    system = _system_fields()
    return ObjectDef(
        name=name,
        key_prefix=KEY_PREFIXES[name],
        fields=(system[0], *fields, *system[1:]),
        child_relationships=tuple(ChildRelationship(n, c, f) for n, c, f in children),
        **kw,
    )


def _standard_objects() -> list[ObjectDef]:
    activity_children = (
        ("Tasks", "Task", "WhatId"),
        ("Events", "Event", "WhatId"),
        ("Notes", "Note", "ParentId"),
    )
    who_children = (
        ("Tasks", "Task", "WhoId"),
        ("Events", "Event", "WhoId"),
        ("Notes", "Note", "ParentId"),
    )
    user = _obj(
        "User",
        [
            FieldDef("Username", "string", 80, required=True, unique=True, id_lookup=True),
            FieldDef("LastName", "string", 80, required=True),
            FieldDef("FirstName", "string", 40),
            _ro("Name", "string", length=121),
            FieldDef("Alias", "string", 8, required=True),
            FieldDef("Email", "email", 128, required=True),
            FieldDef("IsActive", "boolean", default=True),
            _ro(
                "UserType",
                "picklist",
                length=40,
                picklist=_pick(
                    "Standard",
                    "PowerPartner",
                    "PowerCustomerSuccess",
                    "CustomerSuccess",
                    "CspLitePortal",
                    "CsnOnly",
                    "Guest",
                    default="Standard",
                ),
            ),
            FieldDef("ProfileId", "reference", 18, required=True, reference_to=("Profile",)),
            FieldDef(
                "TimeZoneSidKey",
                "picklist",
                40,
                picklist=_pick("America/Los_Angeles", "Europe/Paris", "GMT", default="GMT"),
            ),
            FieldDef("Title", "string", 80),
        ],
        children=(("Contacts", "Contact", "OwnerId"),),
    )
    account = _obj(
        "Account",
        [
            FieldDef("Name", "string", 255, required=True),
            FieldDef("Website", "url", 255),
            FieldDef("Phone", "phone", 40),
            FieldDef(
                "Industry",
                "picklist",
                255,
                picklist=_pick(
                    "Agriculture",
                    "Banking",
                    "Biotechnology",
                    "Communications",
                    "Consulting",
                    "Education",
                    "Electronics",
                    "Energy",
                    "Engineering",
                    "Finance",
                    "Healthcare",
                    "Insurance",
                    "Manufacturing",
                    "Media",
                    "Retail",
                    "Technology",
                    "Telecommunications",
                    "Other",
                ),
            ),
            FieldDef("Description", "textarea", 32000),
            _owner(),
            _ro("LastActivityDate", "date"),
        ],
        children=(
            ("Contacts", "Contact", "AccountId"),
            ("Opportunities", "Opportunity", "AccountId"),
            *activity_children,
        ),
    )
    contact = _obj(
        "Contact",
        [
            FieldDef("LastName", "string", 80, required=True),
            FieldDef("FirstName", "string", 40),
            _ro("Name", "string", length=121),
            FieldDef("Email", "email", 80, id_lookup=True),
            FieldDef("Phone", "phone", 40),
            FieldDef("Title", "string", 128),
            _ref("AccountId", ("Account",), "Account"),
            FieldDef("Description", "textarea", 32000),
            _owner(),
            _ro("LastActivityDate", "date"),
        ],
        children=(
            ("OpportunityContactRoles", "OpportunityContactRole", "ContactId"),
            *who_children,
        ),
    )
    lead = _obj(
        "Lead",
        [
            FieldDef("LastName", "string", 80, required=True),
            FieldDef("FirstName", "string", 40),
            _ro("Name", "string", length=121),
            FieldDef("Company", "string", 255, required=True),
            FieldDef("Email", "email", 80, id_lookup=True),
            FieldDef("Phone", "phone", 40),
            FieldDef("Title", "string", 128),
            FieldDef(
                "Status",
                "picklist",
                255,
                required=True,
                picklist=_pick(*LEAD_STATUSES, default="Open - Not Contacted"),
            ),
            FieldDef("Description", "textarea", 32000),
            _ro("IsConverted", "boolean", nillable=False, default=False),
            _ro("ConvertedDate", "date"),
            _ro(
                "ConvertedContactId",
                "reference",
                length=18,
                reference_to=("Contact",),
                relationship_name="ConvertedContact",
            ),
            _ro(
                "ConvertedAccountId",
                "reference",
                length=18,
                reference_to=("Account",),
                relationship_name="ConvertedAccount",
            ),
            _ro(
                "ConvertedOpportunityId",
                "reference",
                length=18,
                reference_to=("Opportunity",),
                relationship_name="ConvertedOpportunity",
            ),
            _owner(),
            _ro("LastActivityDate", "date"),
        ],
        children=who_children,
    )
    opportunity = _obj(
        "Opportunity",
        [
            FieldDef("Name", "string", 120, required=True),
            FieldDef(
                "StageName",
                "picklist",
                255,
                required=True,
                picklist=_pick(*(s for s, _, _ in OPPORTUNITY_STAGES)),
            ),
            FieldDef("CloseDate", "date", required=True),
            FieldDef("Amount", "currency"),
            FieldDef("Probability", "double"),
            _ro("IsClosed", "boolean", nillable=False, default=False),
            _ro("IsWon", "boolean", nillable=False, default=False),
            _ref("AccountId", ("Account",), "Account"),
            FieldDef("Description", "textarea", 32000),
            _owner(),
            _ro("LastActivityDate", "date"),
        ],
        children=(
            ("OpportunityContactRoles", "OpportunityContactRole", "OpportunityId"),
            *activity_children,
        ),
    )
    ocr = _obj(
        "OpportunityContactRole",
        [
            _ref("OpportunityId", ("Opportunity",), "Opportunity", required=True, updateable=False),
            _ref("ContactId", ("Contact",), "Contact"),
            FieldDef("IsPrimary", "boolean", default=False),
            FieldDef("Role", "picklist", 40, picklist=_pick(*OPPORTUNITY_CONTACT_ROLES)),
        ],
    )
    event = _obj(
        "Event",
        [
            FieldDef("Subject", "string", 255),
            FieldDef("StartDateTime", "datetime"),
            FieldDef("EndDateTime", "datetime"),
            FieldDef("DurationInMinutes", "int"),
            FieldDef("ActivityDateTime", "datetime"),
            FieldDef("ActivityDate", "date"),
            FieldDef("IsAllDayEvent", "boolean", default=False),
            FieldDef("Location", "string", 255),
            FieldDef("Description", "textarea", 32000),
            FieldDef("ShowAs", "picklist", 40, picklist=_pick("Busy", "OutOfOffice", "Free", default="Busy")),
            _ref("WhoId", WHO_TARGETS, "Who"),
            _ref("WhatId", WHAT_TARGETS, "What"),
            _ro("AccountId", "reference", length=18, reference_to=("Account",), relationship_name="Account"),
            _owner(),
            FieldDef("IsPrivate", "boolean", default=False),
        ],
        children=(("EventRelations", "EventRelation", "EventId"),),
    )
    event_relation = _obj(
        "EventRelation",
        [
            _ref("EventId", ("Event",), "Event", required=True, updateable=False),
            _ref("RelationId", ("Contact", "Lead", "User"), "Relation", required=True, updateable=False),
            FieldDef("IsInvitee", "boolean", default=True),
            FieldDef("IsParent", "boolean", default=False),
            FieldDef("IsWhat", "boolean", default=False),
            FieldDef(
                "Status",
                "picklist",
                40,
                picklist=_pick("New", "Declined", "Accepted", "Uninvited", "Maybe", default="New"),
            ),
            FieldDef("Response", "string", 255),
            _ro("RespondedDate", "datetime"),
        ],
    )
    task = _obj(
        "Task",
        [
            FieldDef("Subject", "string", 255),
            FieldDef("Status", "picklist", 40, required=True, picklist=_pick(*TASK_STATUSES, default="Not Started")),
            FieldDef(
                "Priority",
                "picklist",
                40,
                required=True,
                picklist=_pick("High", "Normal", "Low", default="Normal"),
            ),
            FieldDef("ActivityDate", "date"),
            FieldDef("Description", "textarea", 32000),
            _ref("WhoId", WHO_TARGETS, "Who"),
            _ref("WhatId", WHAT_TARGETS, "What"),
            _ro("AccountId", "reference", length=18, reference_to=("Account",), relationship_name="Account"),
            _owner(),
            _ro("IsClosed", "boolean", nillable=False, default=False),
            FieldDef("CompletedDateTime", "datetime", createable=False, updateable=False),
            FieldDef("TaskSubtype", "picklist", 40, picklist=_pick("Task", "Email", "Call", default="Task")),
        ],
    )
    note = _obj(
        "Note",
        [
            _ref("ParentId", NOTE_PARENTS, "Parent", required=True, updateable=False),
            FieldDef("Title", "string", 80, required=True),
            FieldDef("Body", "textarea", 32000),
            FieldDef("IsPrivate", "boolean", default=False),
            _owner(),
        ],
    )
    content_note = _obj(
        "ContentNote",
        [
            FieldDef("Title", "string", 255, required=True),
            FieldDef("Content", "textarea", 131072),
            _ro("FileType", "string", length=20),
            _ro("TextPreview", "string", length=255),
            _owner(),
        ],
    )
    content_document = _obj(
        "ContentDocument",
        [
            FieldDef("Title", "string", 255, required=True),
            _ro("FileType", "string", length=20),
            _owner(),
        ],
    )
    return [
        user,
        account,
        contact,
        lead,
        opportunity,
        ocr,
        event,
        event_relation,
        task,
        note,
        content_note,
        content_document,
    ]
