import pytest

from sfsim.ids import KEY_PREFIXES
from sfsim.schema import FieldDef, Schema, SchemaError, describe


def test_lookups_are_case_insensitive_and_canonical():
    schema = Schema.default()
    contact = schema.get("contact")
    assert contact is not None
    assert contact.name == "Contact"
    assert contact.field("EMAIL").name == "Email"
    assert contact.parent_relationship("account").name == "AccountId"
    assert schema["ACCOUNT"].child_relationship("opportunities").child_sobject == "Opportunity"
    assert schema.get("Nope") is None
    assert "event" in schema


def test_every_object_has_system_fields_and_prefix():
    for obj in Schema.default().objects:
        for name in (
            "Id",
            "CreatedDate",
            "LastModifiedDate",
            "CreatedById",
            "LastModifiedById",
            "SystemModstamp",
            "IsDeleted",
        ):
            assert obj.field(name) is not None, (obj.name, name)
        assert obj.key_prefix == KEY_PREFIXES[obj.name]


def test_long_textareas_are_not_filterable():
    schema = Schema.default()
    assert schema["Event"].field("Description").filterable is False
    assert schema["Note"].field("Body").filterable is False
    assert schema["Event"].field("Subject").filterable is True


def test_required_fields_and_picklists():
    schema = Schema.default()
    assert schema["Contact"].field("LastName").required
    assert schema["Contact"].field("LastName").length == 80
    assert schema["Lead"].field("Company").required
    opp = schema["Opportunity"]
    assert {f.name for f in opp.fields if f.required} == {"Name", "StageName", "CloseDate"}
    assert "Closed Won" in opp.field("StageName").picklist_values()
    assert not opp.field("IsClosed").createable
    assert not opp.field("IsWon").updateable
    task = schema["Task"]
    assert task.field("Status").default == "Not Started"
    assert task.field("Priority").default == "Normal"
    assert task.field("Priority").picklist_values() == ["High", "Normal", "Low"]


def test_polymorphic_references():
    event = Schema.default()["Event"]
    who = event.parent_relationship("who")
    assert who.reference_to == ("Contact", "Lead")
    assert who.polymorphic
    assert event.parent_relationship("What").name == "WhatId"
    assert event.child_relationship("EventRelations").field == "EventId"


def test_custom_fields_make_a_new_schema():
    base = Schema.default()
    keyed = base.with_custom_fields(
        {"event": [FieldDef(name="IceCubes_Sync_Key__c", type="string", length=255, external_id=True, unique=True)]}
    )
    assert keyed["Event"].field("icecubes_sync_key__c").external_id
    assert base["Event"].field("IceCubes_Sync_Key__c") is None
    with pytest.raises(SchemaError):
        base.with_custom_fields({"Event": [FieldDef(name="NoSuffix", type="string", length=10)]})


def test_describe_shape():
    d = describe("Task")
    assert d["name"] == "Task"
    assert d["keyPrefix"] == "00T"
    status = next(f for f in d["fields"] if f["name"] == "Status")
    assert status["type"] == "picklist"
    assert {
        "value": "Not Started",
        "label": "Not Started",
        "active": True,
        "defaultValue": True,
        "validFor": None,
    } in status["picklistValues"]
    who = next(f for f in d["fields"] if f["name"] == "WhoId")
    assert who["referenceTo"] == ["Contact", "Lead"]
    assert who["relationshipName"] == "Who"
    desc = next(f for f in d["fields"] if f["name"] == "Description")
    assert desc["filterable"] is False
    assert desc["length"] == 32000
    acct = describe("Account")
    assert {
        "childSObject": "Opportunity",
        "field": "AccountId",
        "relationshipName": "Opportunities",
    }.items() <= (next(c for c in acct["childRelationships"] if c["relationshipName"] == "Opportunities").items())
