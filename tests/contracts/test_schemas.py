"""The published contracts: JSON Schemas match the models, examples validate, the AsyncAPI document is valid.

Other teams code against `schemas/`; these tests fail when the files drift from the pydantic
models, when a realistic message would be refused by the schema, or when `schemas/asyncapi.yaml`
stops being valid AsyncAPI 3.0.0 or stops describing the topics the service really uses.
"""

from __future__ import annotations

import copy
import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest
import yaml
from jsonschema import Draft7Validator, Draft202012Validator

from service import schemas as schema_module
from service.config import Settings
from service.domain.messages import (
    ActionItem,
    ActionItemPriority,
    ActionItemStatus,
    Crm,
    Insights,
    MatchConfidence,
    MatchPath,
    MatchReport,
    Meddic,
    MeetingSummary,
    OrgConfig,
    Owner,
    Person,
    Platform,
    Reason,
    RecordError,
    RetryRequest,
    SalesforceConnection,
    Summary,
    SyncResult,
    SyncSettings,
    SyncStatus,
    UnmatchedEmail,
    WrittenRecords,
)
from service.pipeline.topics import topic_specs

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
ASYNCAPI = SCHEMAS / "asyncapi.yaml"
ASYNCAPI_META_SCHEMA = Path(__file__).with_name("asyncapi-3.0.0.schema.json")
NOW = datetime(2025, 3, 4, 15, 30, tzinfo=UTC)


def load_schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text())


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(name), format_checker=Draft202012Validator.FORMAT_CHECKER)


def as_json(model: Any) -> Any:
    """What goes on the wire: the model's JSON, parsed back into plain data."""
    return json.loads(model.model_dump_json())


@pytest.fixture
def default_settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings with their defaults only: the AsyncAPI document describes the default topics."""
    for name in list(os.environ):
        if name.startswith("SFSYNC_") or name == "KAFKA_BOOTSTRAP_SERVERS":
            monkeypatch.delenv(name)
    return Settings(_env_file=None)  # type: ignore[call-arg]


# ---------------------------------------------------------------- drift


def test_generated_schemas_match_the_models() -> None:
    stale = [
        filename
        for filename, text in schema_module.rendered().items()
        if not (SCHEMAS / filename).exists() or (SCHEMAS / filename).read_text() != text
    ]
    assert not stale, f"schemas/ is out of date with the models: {stale}; run `python -m service.schemas`"


def test_no_schema_file_without_a_model() -> None:
    on_disk = {p.name for p in SCHEMAS.glob("*.schema.json")}
    orphans = on_disk - set(schema_module.rendered())
    assert not orphans, f"schema files no model generates (remove them or add the contract): {orphans}"


@pytest.mark.parametrize("name", sorted(schema_module.CONTRACTS))
def test_schema_files_are_valid_draft_2020_12(name: str) -> None:
    schema = load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


# ---------------------------------------------------------------- examples


def full_meeting() -> MeetingSummary:
    """A meeting with every field set, as the summarizer would publish it."""
    return MeetingSummary(
        event_id="evt-7f3a",
        org_id="org-acme",
        meeting_id="mtg-2025-03-04-001",
        revision=2,
        title="Acme × Globex: pricing review",
        platform=Platform.ZOOM,
        started_at=NOW - timedelta(minutes=45),
        ended_at=NOW,
        owner=Owner(email="rep@acme.com", name="Riley Rep"),
        participants=[
            Person(email="rep@acme.com", name="Riley Rep"),
            Person(email="o'brien@globex.com", name="Pat O'Brien"),
            Person(email=None, name="Dial-in user"),
        ],
        summary=Summary(
            text="Globex wants volume pricing before Q2.", key_points=["Budget approved", "Pilot in April"]
        ),
        insights=Insights(
            competitors=["Initech"],
            objections=["Price per seat"],
            meddic=Meddic(economic_buyer=["Pat O'Brien (CFO)"], champion=["Sam"], metrics=["-20% churn"]),
            pricing=["$40/seat discussed"],
        ),
        action_items=[
            ActionItem(
                id="ai-1",
                text="Send the volume quote",
                assignee_email="rep@acme.com",
                priority=ActionItemPriority.HIGH,
                due_date=date(2025, 3, 7),
            ),
            ActionItem(id="ai-2", text="Book the pilot kickoff", status=ActionItemStatus.COMPLETED),
        ],
    )


def org_config() -> OrgConfig:
    return OrgConfig(
        org_id="org-acme",
        crm=Crm.SALESFORCE,
        salesforce=SalesforceConnection(
            instance_url="https://acme.my.salesforce.com",
            access_token="gAAAAABn-access-ciphertext",
            refresh_token="gAAAAABn-refresh-ciphertext",
        ),
        verified_domains=["acme.com", "acme.io"],
        settings=SyncSettings(create_contacts_for_unmatched=True, min_duration_minutes=10),
        updated_at=NOW,
    )


def sync_result() -> SyncResult:
    return SyncResult(
        result_id="res-8c1e",
        org_id="org-acme",
        meeting_id="mtg-2025-03-04-001",
        revision=2,
        source_event_id="evt-7f3a",
        status=SyncStatus.PARTIAL,
        reason=Reason.PARTIAL_WRITE,
        message="Synced, but Salesforce refused one task.",
        match=MatchReport(
            confidence=MatchConfidence.HIGH,
            path=MatchPath.OCR,
            contact_id="003000000000001AAA",
            account_id="001000000000001AAA",
            opportunity_id="006000000000001AAA",
            matched_contact_ids=["003000000000001AAA"],
            internal_emails=["rep@acme.com"],
            unmatched=[UnmatchedEmail(email="x@gmail.com", why="free_mail_domain")],
            explanation=["contact by email", "open opportunity with contact role"],
        ),
        records=WrittenRecords(
            event_id="00U000000000001AAA",
            note_id="002000000000001AAA",
            task_ids={"ai-1": "00T000000000001AAA"},
            owner_ids={"event": "005000000000001AAA"},
            errors=[
                RecordError(
                    record="task:ai-2",
                    error_code="FIELD_CUSTOM_VALIDATION_EXCEPTION",
                    message="Subject too short",
                    fields=["Subject"],
                )
            ],
        ),
        salesforce_api_calls=2,
        processed_at=NOW,
    )


def retry_request() -> RetryRequest:
    return RetryRequest(
        org_id="org-acme",
        meeting=full_meeting(),
        attempt=3,
        not_before=NOW + timedelta(seconds=20),
        first_attempt_at=NOW - timedelta(minutes=2),
        last_reason=Reason.SALESFORCE_UNAVAILABLE,
        last_error="503 from /composite",
    )


@pytest.mark.parametrize(
    ("schema", "build"),
    [
        ("meeting-summary", full_meeting),
        ("org-config", org_config),
        ("sync-result", sync_result),
        ("sync-retry", retry_request),
    ],
)
def test_examples_built_from_the_models_validate(schema: str, build: Any) -> None:
    document = as_json(build())
    validator(schema).validate(document)


def test_a_minimal_meeting_validates() -> None:
    """Only the required fields: defaults are the consumer's, the producer may leave them out."""
    minimal = {
        "event_id": "e",
        "org_id": "o",
        "meeting_id": "m",
        "revision": 1,
        "title": "t",
        "started_at": "2025-03-04T15:00:00Z",
        "ended_at": "2025-03-04T15:30:00+00:00",
        "owner": {"email": "a@b.co"},
    }
    validator("meeting-summary").validate(minimal)
    MeetingSummary.model_validate(minimal)


def broken(change: Any) -> dict[str, Any]:
    document = as_json(full_meeting())
    change(document)
    return document


@pytest.mark.parametrize(
    ("what", "document"),
    [
        ("unknown field (typo)", broken(lambda d: d.update(titel=d.pop("title")))),
        ("revision below 1", broken(lambda d: d.update(revision=0))),
        ("unknown platform", broken(lambda d: d.update(platform="skype"))),
        ("missing owner", broken(lambda d: d.pop("owner"))),
        ("action item without text", broken(lambda d: d["action_items"][0].pop("text"))),
        ("unknown action item status", broken(lambda d: d["action_items"][0].update(status="done"))),
        ("wrong schema_version", broken(lambda d: d.update(schema_version=2))),
        ("participants not a list", broken(lambda d: d.update(participants={"email": "a@b.co"}))),
    ],
)
def test_a_meeting_with_a_wrong_field_fails_the_schema_and_the_model(what: str, document: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        validator("meeting-summary").validate(document)
    with pytest.raises(ValueError, match="validation error"):
        MeetingSummary.model_validate(document)


def test_the_schema_is_stricter_than_the_model_where_pydantic_coerces() -> None:
    """Producers follow the schema; the worker's lax parsing of "2" as 2 is tolerance, not contract."""
    document = broken(lambda d: d.update(revision="2"))
    with pytest.raises(jsonschema.ValidationError):
        validator("meeting-summary").validate(document)
    assert MeetingSummary.model_validate(document).revision == 2


# ---------------------------------------------------------------- AsyncAPI


@pytest.fixture(scope="module")
def asyncapi() -> dict[str, Any]:
    return yaml.safe_load(ASYNCAPI.read_text())


@pytest.fixture(scope="module")
def asyncapi_validator() -> Draft7Validator:
    meta = json.loads(ASYNCAPI_META_SCHEMA.read_text())
    Draft7Validator.check_schema(meta)
    return Draft7Validator(meta)


def test_asyncapi_document_is_valid_asyncapi_3_0_0(
    asyncapi: dict[str, Any], asyncapi_validator: Draft7Validator
) -> None:
    assert asyncapi["asyncapi"] == "3.0.0"
    errors = sorted(asyncapi_validator.iter_errors(asyncapi), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:300]}" for e in errors)


@pytest.mark.parametrize(
    ("what", "damage"),
    [
        ("unknown operation action", lambda d: d["operations"]["sendSyncResults"].update(action="publish")),
        ("channel without address type", lambda d: d["channels"]["workItems"].update(address=42)),
        ("unknown top-level field", lambda d: d.update(topics={})),
        ("bad kafka binding", lambda d: d["channels"]["orgConfigs"]["bindings"]["kafka"].update(partitions=0)),
    ],
)
def test_the_asyncapi_check_catches_a_broken_document(
    asyncapi: dict[str, Any], asyncapi_validator: Draft7Validator, what: str, damage: Any
) -> None:
    document = copy.deepcopy(asyncapi)
    damage(document)
    assert not asyncapi_validator.is_valid(document), f"{what} was not caught"


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def resolve_pointer(document: Any, pointer: str) -> Any:
    node = document
    for raw in filter(None, pointer.split("/")):
        part = unquote(raw).replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def test_every_ref_in_the_asyncapi_document_resolves(asyncapi: dict[str, Any]) -> None:
    all_refs = refs(asyncapi)
    assert all_refs
    broken_refs = []
    for ref in all_refs:
        location, _, fragment = ref.partition("#")
        try:
            target = asyncapi if not location else json.loads((ASYNCAPI.parent / location).read_text())
            resolve_pointer(target, fragment)
        except (OSError, KeyError, IndexError, ValueError) as exc:
            broken_refs.append(f"{ref} ({type(exc).__name__}: {exc})")
    assert not broken_refs, f"unresolvable $refs: {broken_refs}"


def test_every_generated_schema_is_a_message_payload(asyncapi: dict[str, Any]) -> None:
    payloads = {name: message["payload"].get("$ref") for name, message in asyncapi["components"]["messages"].items()}
    assert payloads["MeetingSummary"] == "./meeting-summary.schema.json"
    assert payloads["OrgConfig"] == "./org-config.schema.json"
    assert payloads["SyncResult"] == "./sync-result.schema.json"
    assert payloads["RetryRequest"] == "./sync-retry.schema.json"
    assert {f"./{name}" for name in schema_module.rendered()} <= set(payloads.values())


def channels_by_address(asyncapi: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {channel["address"]: channel for channel in asyncapi["channels"].values()}


def test_every_topic_of_the_service_is_a_channel(asyncapi: dict[str, Any], default_settings: Settings) -> None:
    topics = topic_specs(default_settings)
    channels = channels_by_address(asyncapi)
    missing = set(topics) - set(channels)
    assert not missing, f"topics of the service missing from schemas/asyncapi.yaml: {missing}"
    unknown = set(channels) - set(topics)
    assert not unknown, f"channels the service does not use: {unknown}"


def test_kafka_bindings_match_the_topic_configuration(asyncapi: dict[str, Any], default_settings: Settings) -> None:
    channels = channels_by_address(asyncapi)
    for topic, config in topic_specs(default_settings).items():
        binding = channels[topic]["bindings"]["kafka"]
        assert binding["partitions"] == default_settings.partitions, topic
        topic_config = binding["topicConfiguration"]
        assert topic_config["cleanup.policy"] == config.get("cleanup.policy", "delete").split(","), topic
        assert topic_config["max.message.bytes"] == int(config["max.message.bytes"]), topic


def test_keys_are_documented_as_the_architecture_says(asyncapi: dict[str, Any]) -> None:
    messages = asyncapi["components"]["messages"]
    for name in ("MeetingSummary", "OrgConfig", "OrgDeleted", "RetryRequest", "WorkItem"):
        assert "org_id" in messages[name]["bindings"]["kafka"]["key"]["description"], name
    assert "meeting_id" in messages["SyncResult"]["bindings"]["kafka"]["key"]["description"]


def test_dead_letter_headers_are_the_ones_the_worker_writes(asyncapi: dict[str, Any]) -> None:
    source = (ROOT / "service" / "pipeline" / "app.py").read_text()
    headers = asyncapi["components"]["schemas"]["DeadLetterHeaders"]
    assert set(headers["required"]) == set(headers["properties"])
    for name in headers["required"]:
        assert f'("{name}",' in source, f"the worker no longer writes DLQ header {name}"


def test_every_channel_has_an_operation(asyncapi: dict[str, Any]) -> None:
    used = {op["channel"]["$ref"].rsplit("/", 1)[-1] for op in asyncapi["operations"].values()}
    assert used == set(asyncapi["channels"])
