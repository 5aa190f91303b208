import pytest

from service.domain.messages import Reason
from service.domain.reasons import message_for, reason_message


@pytest.mark.parametrize("reason", list(Reason))
def test_every_reason_has_a_message(reason: Reason) -> None:
    assert len(reason_message(reason)) > 10


def test_connection_expired_says_how_to_reconnect() -> None:
    assert reason_message(Reason.CONNECTION_EXPIRED) == (
        "Salesforce connection expired: go to Settings > Integrations > Salesforce, click Disconnect, then "
        "Connect Salesforce. Your sync settings are kept."
    )


def test_api_access_unavailable_names_editions_add_on_and_permission() -> None:
    text = reason_message(Reason.API_ACCESS_UNAVAILABLE)
    for words in (
        "Enterprise",
        "Unlimited",
        "Performance",
        "Developer",
        "Professional",
        "API Access add-on",
        '"API Enabled"',
        "Essentials",
    ):
        assert words in text


def test_insufficient_permissions_names_the_object() -> None:
    assert "permission on Tasks" in reason_message(Reason.INSUFFICIENT_PERMISSIONS, sobject="Task")
    assert "CustomThing__c" in reason_message(Reason.INSUFFICIENT_PERMISSIONS, sobject="CustomThing__c")


def test_message_for_appends_the_failure_detail_once() -> None:
    assert message_for(Reason.SALESFORCE_ERROR, "Subject too long").endswith("Details: Subject too long")
    assert message_for(Reason.SYNCED, "") == reason_message(Reason.SYNCED)
