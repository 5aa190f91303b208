from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from service.config import SALESFORCE_HOSTS
from service.errors import InstanceNotAllowed
from service.salesforce.hosts import checked_origin
from service.salesforce.limits import ApiUsage, UsageBook, parse_limit_info
from service.salesforce.records import parse_date, parse_datetime

PATTERNS = ("login.salesforce.com", "*.my.salesforce.com", "127.0.0.1:8443")


@pytest.mark.parametrize(
    "url",
    [
        "https://acme.my.salesforce.com",
        "https://acme.my.salesforce.com/",
        "https://ACME.my.salesforce.com:443",
        "https://login.salesforce.com",
        "https://127.0.0.1:8443",
    ],
)
def test_allowlisted_hosts_pass(url: str) -> None:
    assert checked_origin(url, PATTERNS, what="instance URL").scheme == "https"


@pytest.mark.parametrize(
    "url",
    [
        "http://acme.my.salesforce.com",  # not https
        "https://my.salesforce.com",  # the wildcard needs a label
        "https://acme.my.salesforce.com.evil.example",
        "https://evilmy.salesforce.com",
        "https://login.salesforce.com@evil.example",
        "https://user:pw@login.salesforce.com",
        "https://127.0.0.1:9999",  # another port of an allowed host
        "https://acme.my.salesforce.com:8443",
        "https://evil.example",
        "not a url",
        "",
    ],
)
def test_other_hosts_are_refused(url: str) -> None:
    with pytest.raises(InstanceNotAllowed):
        checked_origin(url, PATTERNS, what="instance URL")


def test_limit_info_is_parsed_and_the_reserve_applies() -> None:
    assert parse_limit_info("api-usage=18/5000; api-bursts=1/750") == ApiUsage(18, 5000)
    assert parse_limit_info("garbage") is None
    book = UsageBook()
    book.record("o", "api-usage=89/100")
    assert not book.get("o").above_reserve(0.9)  # type: ignore[union-attr]
    book.record("o", "api-usage=90/100")
    assert book.get("o").above_reserve(0.9)  # type: ignore[union-attr]
    book.record("o", None)  # a response without the header keeps the last known usage
    assert book.get("o") == ApiUsage(90, 100)


def test_salesforce_datetimes_and_dates_parse() -> None:
    assert parse_datetime("2026-01-31T10:00:00.000+0000") == datetime(2026, 1, 31, 10, tzinfo=UTC)
    assert parse_datetime("2026-01-31T10:00:00Z") == datetime(2026, 1, 31, 10, tzinfo=UTC)
    assert parse_datetime(None) is None
    assert parse_date("2026-01-31") == date(2026, 1, 31)


DEFAULTS = SALESFORCE_HOSTS  # the built-in default, whatever this machine's environment says


@pytest.mark.parametrize(
    "url",
    [
        "https://login.salesforce.com",
        "https://test.salesforce.com",
        "https://acme.my.salesforce.com",
        "https://acme--uat.sandbox.my.salesforce.com",
        "https://acme-dev-ed.develop.my.salesforce.com",
        "https://agency.my.salesforce.mil",
    ],
)
def test_the_default_allowlist_admits_salesforce_api_hosts(url: str) -> None:
    checked_origin(url, DEFAULTS, what="instance URL")


@pytest.mark.parametrize(
    "url",
    [
        "https://acme.my.site.com",  # Experience Cloud site: pages the customer operates
        "https://acme.force.com",  # Salesforce Sites
        "https://acme.lightning.force.com",
        "https://community.salesforce.com",  # any host under salesforce.com is not an API host
        "https://na1.salesforce.com",  # legacy instance URLs: every org has a My Domain now
    ],
)
def test_the_default_allowlist_refuses_customer_operated_sites(url: str) -> None:
    with pytest.raises(InstanceNotAllowed):
        checked_origin(url, DEFAULTS, what="instance URL")
