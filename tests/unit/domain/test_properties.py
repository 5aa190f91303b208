"""Properties of the ladder and the plan over generated meetings and Salesforce snapshots."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import timedelta
from typing import Any

from domain_builders import NOW, item, meeting, org
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.domain.addresses import normalize_email
from service.domain.matching import CONFIDENCE_OF_PATH, Match, is_internal_user, match_meeting
from service.domain.messages import MatchPath, MeetingSummary, Person
from service.domain.plan import Ref, WritePlan
from service.domain.planning import plan_writes
from service.domain.snapshot import (
    SalesforceSnapshot,
    SfAccount,
    SfContact,
    SfContactRole,
    SfLead,
    SfOpportunity,
    SfUser,
)
from service.domain.text import cut, length

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DOMAINS = ["icecubes.io", "eu.icecubes.io", "techcorp.com", "notechcorp.com", "gmail.com", "acme.com", "sub.acme.com"]
LOCALS = ["ann", "bob", "cy", "dee"]
EMAILS = [f"{local}@{domain}" for local in LOCALS for domain in DOMAINS]
ACCOUNTS = ["001A", "001B", "001C", "001D"]
WEBSITES = [None, "techcorp.com", "https://www.acme.com/about", "http://notechcorp.com:8080", "gmail.com", "n/a"]
USER_TYPES = ["Standard", "Standard", "PowerPartner", "CspLitePortal"]

emails = st.sampled_from(EMAILS)
spelled = st.builds(
    lambda e, upper, pad: (" " if pad else "") + (e.upper() if upper else e), emails, st.booleans(), st.booleans()
)
moments = st.integers(min_value=0, max_value=500).map(lambda d: NOW - timedelta(days=d))


@st.composite
def snapshots(draw: st.DrawFn) -> SalesforceSnapshot:
    users = tuple(
        SfUser(id=f"005{i:02d}", email=e, is_active=draw(st.booleans()), user_type=draw(st.sampled_from(USER_TYPES)))
        for i, e in enumerate(draw(st.lists(spelled, max_size=5)))
    )
    contacts = tuple(
        SfContact(
            id=f"003{i:02d}",
            email=e,
            account_id=draw(st.sampled_from([None, *ACCOUNTS])),
            last_activity_date=draw(st.none() | moments.map(lambda m: m.date())),
            last_modified_date=draw(st.none() | moments),
        )
        for i, e in enumerate(draw(st.lists(spelled, max_size=8)))
    )
    leads = tuple(
        SfLead(id=f"00Q{i:02d}", email=e, is_converted=draw(st.booleans()), last_modified_date=draw(moments))
        for i, e in enumerate(draw(st.lists(spelled, max_size=4)))
    )
    accounts = tuple(
        SfAccount(
            id=a,
            website=draw(st.sampled_from(WEBSITES)),
            last_activity_date=draw(st.none() | moments.map(lambda m: m.date())),
        )
        for a in draw(st.lists(st.sampled_from(ACCOUNTS), unique=True))
    )
    owners = [None, *(u.id for u in users)]
    opportunities = tuple(
        SfOpportunity(
            id=f"006{i:02d}",
            account_id=draw(st.sampled_from([None, *ACCOUNTS])),
            owner_id=draw(st.sampled_from(owners)),
            is_closed=draw(st.booleans()),
            created_date=draw(moments),
            last_modified_date=draw(moments),
        )
        for i in range(draw(st.integers(0, 5)))
    )
    roles: tuple[SfContactRole, ...] = ()
    if contacts and opportunities:
        roles = tuple(
            SfContactRole(opportunity_id=o, contact_id=c, is_primary=p)
            for o, c, p in draw(
                st.lists(
                    st.tuples(
                        st.sampled_from([o.id for o in opportunities]),
                        st.sampled_from([c.id for c in contacts]),
                        st.booleans(),
                    ),
                    max_size=8,
                )
            )
        )
    return SalesforceSnapshot(
        users=users,
        contacts=contacts,
        leads=leads,
        accounts=accounts,
        opportunities=opportunities,
        contact_roles=roles,
        has_sync_key_field=draw(st.booleans()),
    )


@st.composite
def meetings(draw: st.DrawFn) -> MeetingSummary:
    people = draw(st.lists(st.none() | spelled, min_size=0, max_size=7))
    names = st.none() | st.sampled_from(["Ann Lee", "Bob", "Cy de la Cruz"])
    items = [item(f"ai-{i}", assignee_email=draw(st.none() | spelled)) for i in range(draw(st.integers(0, 3)))]
    return meeting(
        participants=[Person(email=e, name=draw(names)) for e in people],
        action_items=items,
        owner=draw(st.sampled_from(["owner@icecubes.io", "bob@icecubes.io", "dee@gmail.com"])),
    )


def config_strategy() -> st.SearchStrategy[Any]:
    return st.builds(
        lambda skip, create, verified: org(
            verified=verified, skip_internal_only=skip, create_contacts_for_unmatched=create
        ),
        st.booleans(),
        st.booleans(),
        st.sampled_from([("icecubes.io",), (), ("icecubes.io", "acme.com")]),
    )


def comparable(match: Match) -> Match:
    return replace(match, participants=())


def without_event_owner(plan: WritePlan) -> WritePlan:
    writes = tuple(
        replace(w, fields={k: v for k, v in w.fields.items() if k != "OwnerId"}) if w.sobject == "Event" else w
        for w in plan.writes
    )
    return replace(plan, writes=writes, owner_ids={k: v for k, v in plan.owner_ids.items() if k != "event"})


@PROPERTY_SETTINGS
@given(meetings(), snapshots(), config_strategy(), st.randoms(use_true_random=False))
def test_result_is_deterministic_and_independent_of_participant_and_record_order(
    m: MeetingSummary, snapshot: SalesforceSnapshot, config: Any, rnd: Any
) -> None:
    first = match_meeting(m, config, snapshot, NOW)
    assert match_meeting(m, config, snapshot, NOW) == first

    people = list(m.participants)
    rnd.shuffle(people)
    shuffled_meeting = m.model_copy(update={"participants": people})
    records = {
        name: list(getattr(snapshot, name))
        for name in ("users", "contacts", "leads", "accounts", "opportunities", "contact_roles")
    }
    for values in records.values():
        rnd.shuffle(values)
    shuffled_snapshot = replace(snapshot, **{name: tuple(values) for name, values in records.items()})
    second = match_meeting(shuffled_meeting, config, shuffled_snapshot, NOW)
    assert comparable(second) == comparable(first)

    plan_a = plan_writes(m, config, snapshot, first, None, NOW)
    plan_b = plan_writes(shuffled_meeting, config, shuffled_snapshot, second, None, NOW)
    assert without_event_owner(plan_b) == without_event_owner(plan_a)


@PROPERTY_SETTINGS
@given(meetings(), snapshots(), config_strategy())
def test_internal_participants_never_match(m: MeetingSummary, snapshot: SalesforceSnapshot, config: Any) -> None:
    match = match_meeting(m, config, snapshot, NOW)
    internal = set(match.report.internal_emails)
    internal_users = {normalize_email(u.email) for u in snapshot.users if is_internal_user(u)}
    for person in match.participants:
        if person.email is None:
            continue
        verified = any(
            person.email.endswith("@" + d) or person.email.endswith("." + d) for d in config.verified_domains
        )
        if person.is_owner or verified or person.email in internal_users:
            assert person.email in internal
    matched = [c for c in snapshot.contacts if c.id in match.report.matched_contact_ids]
    matched += [ld for ld in snapshot.leads if ld.id in match.report.matched_lead_ids]  # type: ignore[misc]
    assert all(normalize_email(r.email) not in internal for r in matched)
    assert not (set(match.unmatched_emails) & internal)


@PROPERTY_SETTINGS
@given(meetings(), snapshots(), config_strategy())
def test_confidence_is_exactly_a_function_of_the_path(
    m: MeetingSummary, snapshot: SalesforceSnapshot, config: Any
) -> None:
    report = match_meeting(m, config, snapshot, NOW).report
    assert report.confidence is CONFIDENCE_OF_PATH[report.path]
    has_opportunity = report.path in {MatchPath.OCR, MatchPath.ACCOUNT_OWNED, MatchPath.ACCOUNT}
    assert (report.opportunity_id is not None) == has_opportunity
    assert (report.path is MatchPath.NONE) == (report.account_id is None and report.opportunity_id is None)


@PROPERTY_SETTINGS
@given(meetings(), snapshots(), config_strategy())
def test_a_lead_who_never_travels_with_a_what(m: MeetingSummary, snapshot: SalesforceSnapshot, config: Any) -> None:
    match = match_meeting(m, config, snapshot, NOW)
    plan = plan_writes(m, config, snapshot, match, None, NOW)
    lead_ids = {ld.id for ld in snapshot.leads}
    for write in plan.writes:
        if write.sobject in {"Event", "Task"} and write.fields.get("WhoId") in lead_ids:
            assert write.fields.get("WhatId") is None
        if write.sobject in {"Event", "Task"}:
            who = write.fields.get("WhoId")
            assert who is None or isinstance(who, Ref) or who in lead_ids or who in match.report.matched_contact_ids


def _broken_at(original: str, kept: str) -> bool:
    if not kept or len(kept) >= len(original):
        return False
    next_char = original[len(kept)]
    if kept and kept[-1] == "\u200d":
        return True
    return next_char != "\u200d" and (
        unicodedata.combining(next_char) != 0
        or unicodedata.category(next_char) in {"Mn", "Me", "Mc"}
        or 0xFE00 <= ord(next_char) <= 0xFE0F
        or 0x1F3FB <= ord(next_char) <= 0x1F3FF
    )


def pieces(*alphabet: str, min_size: int = 0, max_size: int = 120) -> st.SearchStrategy[str]:
    """Text built from whole pieces, some of them several code points long (accents, emoji sequences)."""
    return st.lists(st.sampled_from(alphabet), min_size=min_size, max_size=max_size).map("".join)


texts = pieces("a", " ", "é", "e\u0301", "😀", "👍🏽", "👩\u200d💻", "\u0301", "\u200d", "\ufe0f", "中", "\n")


@PROPERTY_SETTINGS
@given(texts, st.integers(min_value=1, max_value=60))
def test_truncation_never_exceeds_the_limit_and_never_breaks_a_character(text: str, limit: int) -> None:
    result = cut(text, limit)
    assert length(result) <= limit
    assert len(result) <= limit
    if result == text:
        return
    kept = result.removesuffix("…")
    assert text.startswith(kept)
    assert not _broken_at(text, kept)


@PROPERTY_SETTINGS
@given(
    pieces("x", "é", "😀", "e\u0301", "👩\u200d💻", " ", max_size=400),
    pieces("y", "😀", "e\u0301", min_size=1, max_size=300),
    st.integers(min_value=0, max_value=40_000),
)
def test_record_fields_respect_salesforce_limits(title: str, item_text: str, summary_size: int) -> None:
    from service.domain.messages import Insights, Summary

    m = meeting(
        "ann@techcorp.com",
        title=title,
        summary=Summary(text="😀" * summary_size),
        insights=Insights(competitors=["é" * 1900] * 30),
        action_items=[item("a", item_text * 100)],
    )
    config = org()
    snapshot = SalesforceSnapshot(contacts=(SfContact(id="003A", email="ann@techcorp.com", account_id="001A"),))
    plan = plan_writes(m, config, snapshot, match_meeting(m, config, snapshot, NOW), None, NOW)
    limits = {
        ("Event", "Subject"): 255,
        ("Event", "Description"): 32_000,
        ("Task", "Subject"): 200,
        ("Task", "Description"): 32_000,
        ("Note", "Title"): 80,
        ("Note", "Body"): 32_000,
    }
    for write in plan.writes:
        for (sobject, name), limit in limits.items():
            if write.sobject == sobject:
                value = write.fields[name]
                assert isinstance(value, str)
                assert length(value) <= limit
