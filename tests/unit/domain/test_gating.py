from datetime import timedelta

from domain_builders import START, item, meeting, org

from service.domain.gating import gate_before_read
from service.domain.ledger import LedgerEntry
from service.domain.messages import Crm, Reason

EXTERNAL = "jane@techcorp.com"


def ledger(revision: int) -> LedgerEntry:
    return LedgerEntry(org_id="org-1", meeting_id="m-1", revision=revision)


def test_a_meeting_with_an_external_participant_goes_on_to_the_read() -> None:
    assert gate_before_read(meeting(EXTERNAL), org(), None) is None


def test_no_org_config_is_crm_not_connected() -> None:
    assert gate_before_read(meeting(EXTERNAL), None, None) is Reason.CRM_NOT_CONNECTED


def test_no_crm_chosen_is_crm_not_connected() -> None:
    assert gate_before_read(meeting(EXTERNAL), org(crm=None), None) is Reason.CRM_NOT_CONNECTED


def test_hubspot_connected_is_other_crm_connected() -> None:
    assert gate_before_read(meeting(EXTERNAL), org(crm=Crm.HUBSPOT), None) is Reason.OTHER_CRM_CONNECTED


def test_salesforce_chosen_without_connection_is_crm_not_connected() -> None:
    config = org().model_copy(update={"salesforce": None})
    assert gate_before_read(meeting(EXTERNAL), config, None) is Reason.CRM_NOT_CONNECTED


def test_auto_sync_off_is_auto_sync_disabled() -> None:
    assert gate_before_read(meeting(EXTERNAL), org(auto_sync=False), None) is Reason.AUTO_SYNC_DISABLED


def test_auto_sync_off_is_reported_before_other_skips() -> None:
    short_internal = meeting(minutes=1)
    assert gate_before_read(short_internal, org(auto_sync=False), None) is Reason.AUTO_SYNC_DISABLED


def test_revision_already_synced_is_stale_revision() -> None:
    assert gate_before_read(meeting(EXTERNAL, revision=2), org(), ledger(2)) is Reason.STALE_REVISION
    assert gate_before_read(meeting(EXTERNAL, revision=2), org(), ledger(3)) is Reason.STALE_REVISION
    assert gate_before_read(meeting(EXTERNAL, revision=3), org(), ledger(2)) is None


def test_shorter_than_minimum_duration_is_below_min_duration() -> None:
    assert gate_before_read(meeting(EXTERNAL, minutes=4.9), org(), None) is Reason.BELOW_MIN_DURATION
    assert gate_before_read(meeting(EXTERNAL, minutes=5), org(), None) is None
    assert gate_before_read(meeting(EXTERNAL, minutes=20), org(min_duration_minutes=30), None) is (
        Reason.BELOW_MIN_DURATION
    )


def test_zero_minimum_duration_lets_any_meeting_through() -> None:
    assert gate_before_read(meeting(EXTERNAL, minutes=0), org(min_duration_minutes=0), None) is None


def test_end_before_start_is_below_min_duration() -> None:
    backwards = meeting(EXTERNAL, ended_at=START - timedelta(minutes=1))
    assert gate_before_read(backwards, org(min_duration_minutes=0), None) is Reason.BELOW_MIN_DURATION


def test_everyone_on_verified_domains_is_internal_only() -> None:
    assert gate_before_read(meeting("bob@icecubes.io", "amy@eu.icecubes.io"), org(), None) is Reason.INTERNAL_ONLY


def test_participants_without_email_do_not_make_a_meeting_external() -> None:
    assert gate_before_read(meeting(None, "bob@icecubes.io"), org(), None) is Reason.INTERNAL_ONLY


def test_owner_alone_is_internal_only_even_on_an_unverified_domain() -> None:
    assert gate_before_read(meeting(owner="me@gmail.com"), org(), None) is Reason.INTERNAL_ONLY


def test_internal_only_meeting_goes_on_when_skip_internal_only_is_off() -> None:
    assert gate_before_read(meeting("bob@icecubes.io"), org(skip_internal_only=False), None) is None


def test_lookalike_domain_is_external() -> None:
    assert gate_before_read(meeting("eve@noticecubes.io"), org(), None) is None


def test_log_meetings_off_and_no_action_items_is_nothing_to_write() -> None:
    assert gate_before_read(meeting(EXTERNAL), org(log_meetings=False), None) is Reason.NOTHING_TO_WRITE


def test_log_meetings_off_and_sync_action_items_off_is_nothing_to_write() -> None:
    config = org(log_meetings=False, sync_action_items=False)
    assert gate_before_read(meeting(EXTERNAL, action_items=[item()]), config, None) is Reason.NOTHING_TO_WRITE


def test_action_items_alone_are_something_to_write() -> None:
    assert gate_before_read(meeting(EXTERNAL, action_items=[item()]), org(log_meetings=False), None) is None
