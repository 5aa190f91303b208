"""Outcomes decided before any Salesforce call: settings, revisions and what the meeting alone shows."""

from __future__ import annotations

from datetime import timedelta

from service.domain.ledger import LedgerEntry
from service.domain.messages import Crm, MeetingSummary, OrgConfig, Reason
from service.domain.participants import meeting_participants, on_verified_domain


def is_internal_by_domain(meeting: MeetingSummary, org: OrgConfig) -> bool:
    """True when nobody but the org's own people (by verified domain) has an email on the meeting.

    The meeting owner recorded the meeting with the org's IceCubes account, so the owner counts as
    internal whatever their email domain. Whether a participant is an active Salesforce User is
    only known after the read; `matching` completes this check with Users.
    """
    return all(
        p.is_owner or on_verified_domain(p, org.verified_domains)
        for p in meeting_participants(meeting)
        if p.email is not None
    )


def has_something_to_write(meeting: MeetingSummary, org: OrgConfig) -> bool:
    settings = org.settings
    return settings.log_meetings or (settings.sync_action_items and bool(meeting.action_items))


def gate_before_read(meeting: MeetingSummary, org: OrgConfig | None, ledger: LedgerEntry | None) -> Reason | None:
    """The reason to skip this meeting revision without calling Salesforce, or None to go on."""
    if org is None or org.crm is None:
        return Reason.CRM_NOT_CONNECTED
    if org.crm is Crm.HUBSPOT:
        return Reason.OTHER_CRM_CONNECTED
    if org.salesforce is None:
        return Reason.CRM_NOT_CONNECTED
    settings = org.settings
    if not settings.auto_sync:
        return Reason.AUTO_SYNC_DISABLED
    if ledger is not None and ledger.revision >= meeting.revision:
        return Reason.STALE_REVISION
    if meeting.ended_at - meeting.started_at < timedelta(minutes=settings.min_duration_minutes):
        return Reason.BELOW_MIN_DURATION
    if settings.skip_internal_only and is_internal_by_domain(meeting, org):
        return Reason.INTERNAL_ONLY
    if not has_something_to_write(meeting, org):
        return Reason.NOTHING_TO_WRITE
    return None
