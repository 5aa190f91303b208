"""SOQL engine: grammar, semantics, result shape and Salesforce-shaped errors, over an in-memory source."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

import pytest

from sfsim.ids import new_id
from sfsim.schema import FieldDef, Schema
from sfsim.soql import DeferredQuery, SoqlError, execute, parse, quote, quote_like

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)  # a Sunday


class MemorySource:
    """A minimal RecordSource; `indexed` fields answer index_lookup, others return None (scan)."""

    def __init__(self, schema: Schema | None = None, indexed: tuple[str, ...] = ()) -> None:
        self.schema = schema or Schema.default()
        self.tables: dict[str, list[dict[str, Any]]] = {}
        self.by_id: dict[str, dict[str, Any]] = {}
        self.indexed = indexed
        self.lookups: list[tuple[str, str, str]] = []
        self.scans: list[str] = []
        self._n = itertools.count(1)

    def add(self, sobject: str, **fields: Any) -> dict[str, Any]:
        fields.setdefault("Id", new_id(sobject, next(self._n)))
        fields.setdefault("IsDeleted", False)
        self.tables.setdefault(sobject, []).append(fields)
        self.by_id[fields["Id"]] = fields
        return fields

    def records(self, sobject: str) -> list[dict[str, Any]]:
        self.scans.append(sobject)
        return self.tables.get(sobject, [])

    def get(self, record_id: str) -> dict[str, Any] | None:
        return self.by_id.get(record_id)

    def index_lookup(self, sobject: str, field: str, value_lower: str) -> list[dict[str, Any]] | None:
        if field not in self.indexed:
            return None
        self.lookups.append((sobject, field, value_lower))
        return [r for r in self.tables.get(sobject, []) if str(r.get(field) or "").lower() == value_lower]


@pytest.fixture
def org() -> MemorySource:
    src = MemorySource()
    owner = src.add("User", Username="owner@x.test", Email="Owner@X.test", LastName="Owner", IsActive=True)
    acme = src.add("Account", Name="Acme", Website="acme.test", OwnerId=owner["Id"])
    globex = src.add("Account", Name="Globex", Website=None, OwnerId=owner["Id"])
    jane = src.add(
        "Contact",
        FirstName="Jane",
        LastName="Doe",
        Email="Jane.Doe@Acme.test",
        AccountId=acme["Id"],
        OwnerId=owner["Id"],
        CreatedDate=datetime(2026, 3, 14, 9, 30, tzinfo=UTC),
        LastActivityDate=date(2026, 3, 1),
    )
    src.add(
        "Contact",
        FirstName="John",
        LastName="Roe",
        Email="john@globex.test",
        AccountId=globex["Id"],
        CreatedDate=datetime(2026, 1, 10, tzinfo=UTC),
    )
    src.add("Contact", LastName="Zed", Email=None, AccountId=None, CreatedDate=datetime(2025, 6, 1, tzinfo=UTC))
    src.add("Lead", LastName="Lee", Company="Initech", Email="lee@initech.test", IsConverted=False)
    deal = src.add(
        "Opportunity",
        Name="Big deal",
        StageName="Prospecting",
        CloseDate=date(2026, 4, 1),
        IsClosed=False,
        Amount=5000.0,
        AccountId=acme["Id"],
    )
    src.add(
        "Opportunity",
        Name="Old deal",
        StageName="Closed Won",
        CloseDate=date(2025, 1, 1),
        IsClosed=True,
        Amount=100.0,
        AccountId=acme["Id"],
    )
    src.add("OpportunityContactRole", OpportunityId=deal["Id"], ContactId=jane["Id"], IsPrimary=True)
    event = src.add(
        "Event",
        Subject="Demo",
        StartDateTime=datetime(2026, 3, 15, 10, tzinfo=UTC),
        WhoId=jane["Id"],
        WhatId=deal["Id"],
        Description="long notes",
    )
    src.add("EventRelation", EventId=event["Id"], RelationId=jane["Id"], IsInvitee=True)
    src.add("Contact", LastName="Gone", Email="jane.doe@acme.test", IsDeleted=True)
    return src


def rows(text: str, src: MemorySource, **kw: Any) -> list[dict[str, Any]]:
    return execute(text, src, now=NOW, **kw)


def names(result: list[dict[str, Any]], field: str = "LastName") -> list[Any]:
    return [r[field] for r in result]


def error(text: str, schema: Schema | None = None) -> SoqlError:
    with pytest.raises(SoqlError) as info:
        parse(text, schema or Schema.default())
    return info.value


# --- result shape ---------------------------------------------------------------------------------


def test_record_shape_attributes_canonical_names_and_order(org):
    [r] = rows("select email, ID, firstname from CONTACT where lastname = 'doe'", org)
    assert list(r) == ["attributes", "Email", "Id", "FirstName"]
    assert r["attributes"] == {"type": "Contact", "url": f"/services/data/v60.0/sobjects/Contact/{r['Id']}"}
    assert r["Email"] == "Jane.Doe@Acme.test"


def test_api_version_and_url_prefix(org):
    [r] = rows("SELECT Id FROM Contact WHERE LastName = 'Doe'", org, api_version="v58.0")
    assert r["attributes"]["url"].startswith("/services/data/v58.0/sobjects/Contact/")
    [r] = rows("SELECT Id FROM Contact WHERE LastName = 'Doe'", org, url_prefix="/services/data/v61.0")
    assert r["attributes"]["url"].startswith("/services/data/v61.0/sobjects/Contact/")


def test_dates_datetimes_numbers_booleans_formatting(org):
    [r] = rows("SELECT CreatedDate, LastActivityDate FROM Contact WHERE LastName = 'Doe'", org)
    assert r["CreatedDate"] == "2026-03-14T09:30:00.000+0000"
    assert r["LastActivityDate"] == "2026-03-01"
    [o] = rows("SELECT Amount, IsClosed, CloseDate FROM Opportunity WHERE Name = 'Big deal'", org)
    assert o["Amount"] == 5000.0
    assert o["IsClosed"] is False
    assert o["CloseDate"] == "2026-04-01"


def test_string_stored_dates_are_compared_and_passed_through():
    src = MemorySource()
    src.add("Contact", LastName="A", CreatedDate="2026-03-15T08:00:00.000+0000", LastActivityDate="2026-03-10")
    src.add("Contact", LastName="B", CreatedDate="2026-01-01T08:00:00.000+0000", LastActivityDate="2025-03-10")
    result = rows("SELECT CreatedDate FROM Contact WHERE CreatedDate = TODAY AND LastActivityDate > 2026-01-01", src)
    assert result == [{"attributes": result[0]["attributes"], "CreatedDate": "2026-03-15T08:00:00.000+0000"}]


def test_parent_relationships_nested_and_null(org):
    result = rows(
        "SELECT LastName, Account.Website, Account.Owner.Email, Account.Name FROM Contact ORDER BY LastName", org
    )
    doe, roe, zed = result
    assert list(doe["Account"]) == ["attributes", "Website", "Owner", "Name"]
    assert doe["Account"]["attributes"]["type"] == "Account"
    assert doe["Account"]["Website"] == "acme.test"
    assert doe["Account"]["Owner"]["Email"] == "Owner@X.test"
    assert doe["Account"]["Owner"]["attributes"]["type"] == "User"
    assert roe["Account"]["Website"] is None
    assert zed["Account"] is None


def test_polymorphic_parent_uses_name_type_and_real_url(org):
    [e] = rows("SELECT Who.Email, Who.Type, What.Name FROM Event", org)
    assert e["Who"]["attributes"]["type"] == "Name"
    assert "/sobjects/Contact/" in e["Who"]["attributes"]["url"]
    assert e["Who"]["Email"] == "Jane.Doe@Acme.test"
    assert e["Who"]["Type"] == "Contact"
    assert e["What"]["Name"] == "Big deal"


def test_child_subqueries_with_where_order_limit_and_null(org):
    result = rows(
        "SELECT Name, (SELECT Name, Amount FROM Opportunities WHERE Amount > 1 ORDER BY Amount DESC LIMIT 1), "
        "(SELECT LastName FROM Contacts) FROM Account ORDER BY Name",
        org,
    )
    acme, globex = result
    assert acme["Opportunities"]["totalSize"] == 1
    assert acme["Opportunities"]["done"] is True
    assert acme["Opportunities"]["records"][0]["Name"] == "Big deal"
    assert acme["Opportunities"]["records"][0]["attributes"]["type"] == "Opportunity"
    assert names(acme["Contacts"]["records"]) == ["Doe"]
    assert globex["Opportunities"] is None


def test_child_subqueries_of_events_and_contact_roles(org):
    [e] = rows("SELECT Subject, (SELECT RelationId, IsInvitee FROM EventRelations) FROM Event", org)
    assert e["EventRelations"]["records"][0]["IsInvitee"] is True
    [c] = rows("SELECT Id, (SELECT IsPrimary FROM OpportunityContactRoles) FROM Contact WHERE LastName='Doe'", org)
    assert c["OpportunityContactRoles"]["totalSize"] == 1
    [o] = rows("SELECT Id, (SELECT Subject FROM Events) FROM Opportunity WHERE Name = 'Big deal'", org)
    assert o["Events"]["records"][0]["Subject"] == "Demo"


def test_count(org):
    result = execute("SELECT COUNT() FROM Contact WHERE AccountId != null", org, now=NOW)
    assert list(result) == []
    assert result.total_size == 2
    assert execute("SELECT Id FROM Contact", org, now=NOW).total_size == 3


def test_deleted_rows_only_with_include_deleted(org):
    assert names(rows("SELECT LastName FROM Contact WHERE LastName = 'Gone'", org)) == []
    assert names(rows("SELECT LastName FROM Contact WHERE LastName = 'Gone'", org, include_deleted=True)) == ["Gone"]


# --- WHERE ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Email = 'JANE.DOE@acme.TEST'", ["Doe"]),
        ("Email != 'jane.doe@acme.test'", ["Roe", "Zed"]),
        ("Email <> 'jane.doe@acme.test'", ["Roe", "Zed"]),
        ("Email = null", ["Zed"]),
        ("Email != NULL", ["Doe", "Roe"]),
        ("Email IN ('x@y.z', 'JOHN@globex.test')", ["Roe"]),
        ("Email NOT IN ('john@globex.test')", ["Doe", "Zed"]),
        ("Email IN ('john@globex.test', null)", ["Roe", "Zed"]),
        ("LastName < 'r'", ["Doe"]),
        ("LastName >= 'roe'", ["Roe", "Zed"]),
        ("Email LIKE '%@ACME%'", ["Doe"]),
        ("LastName LIKE '_oe'", ["Doe", "Roe"]),
        ("NOT LastName = 'Doe'", ["Roe", "Zed"]),
        ("(LastName = 'Doe' OR LastName = 'Zed') AND Email != null", ["Doe"]),
        ("LastName = 'Doe' OR (LastName = 'Roe' AND Email = null)", ["Doe"]),
        ("Account.Name = 'acme'", ["Doe"]),
        ("Account.Owner.Email = 'owner@x.test'", ["Doe", "Roe"]),
        ("Account.Website = null", ["Roe", "Zed"]),
        ("CreatedDate > 2026-03-14T09:00:00Z", ["Doe"]),
        ("CreatedDate < 2026-03-14T11:00:00+02:00", ["Roe", "Zed"]),
        ("CreatedDate = 2026-03-14T09:30:00.000Z", ["Doe"]),
        ("LastActivityDate = 2026-03-01", ["Doe"]),
        ("LastActivityDate > 2026-03-01", []),
    ],
)
def test_where_operators(org, where, expected):
    assert names(rows(f"SELECT LastName FROM Contact WHERE {where} ORDER BY LastName", org)) == expected


def test_numbers_and_booleans(org):
    assert names(rows("SELECT Name FROM Opportunity WHERE Amount >= 1000", org), "Name") == ["Big deal"]
    assert names(rows("SELECT Name FROM Opportunity WHERE Amount < 100.5", org), "Name") == ["Old deal"]
    assert names(rows("SELECT Name FROM Opportunity WHERE IsClosed = TRUE", org), "Name") == ["Old deal"]
    assert names(rows("SELECT Name FROM Opportunity WHERE IsClosed = false", org), "Name") == ["Big deal"]
    assert names(rows("SELECT Id FROM Lead WHERE IsConverted = false", org), "Id") != []


def test_id_literals_15_or_18_characters(org):
    jane = next(r for r in org.tables["Contact"] if r["LastName"] == "Doe")
    for literal in (jane["Id"], jane["Id"][:15]):
        assert names(rows(f"SELECT LastName FROM Contact WHERE Id = '{literal}'", org)) == ["Doe"]
    acct = jane["AccountId"]
    assert names(rows(f"SELECT LastName FROM Contact WHERE AccountId IN ('{acct[:15]}')", org)) == ["Doe"]


def test_like_escapes_match_literal_wildcards():
    src = MemorySource()
    src.add("Contact", LastName="100%_sure")
    src.add("Contact", LastName="100xxsure")
    assert names(rows("SELECT LastName FROM Contact WHERE LastName LIKE '100\\%\\_%'", src)) == ["100%_sure"]
    assert names(rows("SELECT LastName FROM Contact WHERE LastName LIKE '100%'", src)) == ["100%_sure", "100xxsure"]
    assert names(rows(f"SELECT LastName FROM Contact WHERE LastName LIKE {quote_like('100%_sure')}", src)) == [
        "100%_sure"
    ]


def test_string_escapes():
    src = MemorySource()
    value = 'O\'Brien \\ "quoted"\n\t\r\b\f é'
    src.add("Contact", LastName=value)
    q = "SELECT LastName FROM Contact WHERE LastName = 'O\\'Brien \\\\ \\\"quoted\\\"\\N\\t\\R\\b\\F \\u00e9'"
    assert names(rows(q, src)) == [value]
    assert names(rows(f"SELECT LastName FROM Contact WHERE LastName = {quote(value)}", src)) == [value]


def test_date_literals():
    src = MemorySource()
    days = {
        "today": datetime(2026, 3, 15, 0, 0, tzinfo=UTC),
        "yesterday": datetime(2026, 3, 14, 23, 59, tzinfo=UTC),
        "tomorrow": datetime(2026, 3, 16, 1, tzinfo=UTC),
        "7 days ago": datetime(2026, 3, 8, 0, 0, tzinfo=UTC),
        "8 days ago": datetime(2026, 3, 7, 23, 59, tzinfo=UTC),
        "last month": datetime(2026, 2, 28, tzinfo=UTC),
        "3 months ago": datetime(2025, 12, 1, tzinfo=UTC),
        "last year": datetime(2025, 7, 1, tzinfo=UTC),
        "in 5 days": datetime(2026, 3, 20, tzinfo=UTC),
    }
    for label, when in days.items():
        src.add("Contact", LastName=label, CreatedDate=when)

    def where(cond: str) -> set[str]:
        return set(names(rows(f"SELECT LastName FROM Contact WHERE CreatedDate {cond}", src)))

    assert where("= TODAY") == {"today"}
    assert where("= YESTERDAY") == {"yesterday"}
    assert where("= TOMORROW") == {"tomorrow"}
    assert where("= LAST_N_DAYS:1") == {"today", "yesterday"}
    assert where("= LAST_N_DAYS:7") == {"today", "yesterday", "7 days ago"}
    assert where("= NEXT_N_DAYS:5") == {"tomorrow", "in 5 days"}
    assert where("= N_DAYS_AGO:7") == {"7 days ago"}
    assert where("= THIS_MONTH") == {"today", "yesterday", "tomorrow", "7 days ago", "8 days ago", "in 5 days"}
    assert where("= LAST_MONTH") == {"last month"}
    assert where("= LAST_N_MONTHS:3") == {"last month", "3 months ago"}
    assert where("= THIS_YEAR") == set(days) - {"3 months ago", "last year"}
    assert where("= LAST_YEAR") == {"3 months ago", "last year"}
    # A datetime against a range: < before its start, > after its end.
    assert where("< LAST_N_DAYS:7") == {"8 days ago", "last month", "3 months ago", "last year"}
    assert where("> TODAY") == {"tomorrow", "in 5 days"}
    assert where("!= THIS_MONTH") == {"last month", "3 months ago", "last year"}


def test_date_literal_on_date_field(org):
    assert names(rows("SELECT Name FROM Opportunity WHERE CloseDate = NEXT_N_DAYS:30", org), "Name") == ["Big deal"]
    assert names(rows("SELECT Name FROM Opportunity WHERE CloseDate < THIS_YEAR", org), "Name") == ["Old deal"]


def test_semi_and_anti_joins(org):
    q = "SELECT LastName FROM Contact WHERE Id IN (SELECT WhoId FROM Event WHERE Subject = 'demo')"
    assert names(rows(q, org)) == ["Doe"]
    q = "SELECT LastName FROM Contact WHERE Id NOT IN (SELECT RelationId FROM EventRelation) ORDER BY LastName"
    assert names(rows(q, org)) == ["Roe", "Zed"]
    q = (
        "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Opportunity WHERE IsClosed = false) "
        "AND Id IN (SELECT AccountId FROM Contact)"
    )
    assert names(rows(q, org), "Name") == ["Acme"]


def test_order_by_nulls_and_multiple_keys(org):
    q = "SELECT LastName FROM Contact ORDER BY Email"
    assert names(rows(q, org)) == ["Zed", "Doe", "Roe"]  # ASC NULLS FIRST, case-insensitive
    assert names(rows(q + " DESC", org)) == ["Roe", "Doe", "Zed"]  # DESC: nulls last
    assert names(rows(q + " ASC NULLS LAST", org)) == ["Doe", "Roe", "Zed"]
    assert names(rows(q + " DESC NULLS FIRST", org)) == ["Zed", "Roe", "Doe"]
    q = "SELECT LastName FROM Contact ORDER BY Account.Name DESC NULLS LAST, LastName"
    assert names(rows(q, org)) == ["Roe", "Doe", "Zed"]


def test_limit_and_offset(org):
    q = "SELECT LastName FROM Contact ORDER BY LastName"
    assert names(rows(q + " LIMIT 2", org)) == ["Doe", "Roe"]
    assert names(rows(q + " LIMIT 2 OFFSET 1", org)) == ["Roe", "Zed"]
    assert names(rows(q + " OFFSET 2", org)) == ["Zed"]


def test_custom_fields_resolve_against_the_source_schema():
    schema = Schema.default().with_custom_fields(
        {"Event": [FieldDef(name="IceCubes_Sync_Key__c", type="string", length=255, external_id=True, unique=True)]}
    )
    src = MemorySource(schema)
    src.add("Event", Subject="S", IceCubes_Sync_Key__c="meeting-1")
    text = "SELECT Id, icecubes_sync_key__c FROM Event WHERE IceCubes_Sync_Key__c = 'MEETING-1'"
    deferred = parse(text)  # without a schema: syntax only
    assert isinstance(deferred, DeferredQuery)
    [r] = execute(deferred, src, now=NOW)
    assert r["IceCubes_Sync_Key__c"] == "meeting-1"
    # Resolved against the default schema, the query is re-resolved against the org's.
    assert execute(text, src, now=NOW)[0]["Id"] == r["Id"]
    assert error(text).error_code == "INVALID_FIELD"


# --- indexes --------------------------------------------------------------------------------------


def test_index_used_for_equality_and_in_lists(org):
    org.indexed = ("Email", "Id", "AccountId", "ContactId", "WhoId")
    org.scans.clear()
    assert names(rows("SELECT LastName FROM Contact WHERE Email = 'JOHN@globex.test'", org)) == ["Roe"]
    assert org.lookups == [("Contact", "Email", "john@globex.test")]
    assert org.scans == []
    result = rows("SELECT LastName FROM Contact WHERE Email IN ('john@globex.test', 'jane.doe@acme.test')", org)
    assert names(result) == ["Roe", "Doe"]  # the deleted duplicate is still filtered out
    assert org.scans == []
    # The index narrows candidates; the rest of the WHERE still applies.
    assert rows("SELECT Id FROM Contact WHERE Email = 'john@globex.test' AND LastName = 'nope'", org) == []


def test_unindexed_field_falls_back_to_scan(org):
    org.indexed = ("Email",)
    assert names(rows("SELECT LastName FROM Contact WHERE LastName = 'roe'", org)) == ["Roe"]
    assert org.scans == ["Contact"]


def test_child_subquery_uses_reference_index(org):
    org.indexed = ("AccountId",)
    org.scans.clear()
    [acme] = rows("SELECT Id, (SELECT LastName FROM Contacts) FROM Account WHERE Name = 'Acme'", org)
    assert names(acme["Contacts"]["records"]) == ["Doe"]
    assert org.scans == ["Account"]


def test_parse_is_cached():
    text = "SELECT Id FROM Contact WHERE Email = 'a@b.c'"
    assert parse(text, Schema.default()) is parse(text, Schema.default())


# --- errors ---------------------------------------------------------------------------------------


def test_malformed_query_shape():
    e = error("SELECT Id FROM Contact WHERE")
    assert e.error_code == "MALFORMED_QUERY"
    assert e.status == 400
    assert e.message == (
        "\nSELECT Id FROM Contact WHERE\n"
        "                            ^\n"
        "ERROR at Row:1:Column:29\nunexpected token: <EOF>"
    )
    assert e.body() == [{"message": e.message, "errorCode": "MALFORMED_QUERY"}]


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("SELECT Id Contact", "Contact"),
        ("SELECT Id FROM Contact WHERE Name = 'a' AND Email = 'b' OR Email = 'c'", "OR"),
        ("SELECT Id FROM Contact WHERE Name = 'a' OR Email = 'b' AND Email = 'c'", "AND"),
        ("SELECT Id FROM Contact GROUP BY Email", "GROUP"),
        ("SELECT Id FROM Contact WHERE lower(Email) = 'a'", "("),
        ("SELECT COUNT(Id) FROM Contact", "Id"),
        ("SELECT Id FROM Contact LIMIT -1", "-1"),
        ('SELECT Id FROM Contact WHERE Email = "a"', '"'),
        ("SELECT Id FROM Contact WHERE Email = 'abc", "'abc"),
        ("SELECT Id FROM Contact WHERE CreatedDate = LAST_QUARTER", "LAST_QUARTER"),
        ("SELECT Id FROM Contact WHERE Email NOT LIKE 'a'", "NOT"),
        ("SELECT Id FROM Contact OFFSET 1 LIMIT 1", "LIMIT"),
        ("SELECT Id, (SELECT Id, (SELECT Id FROM Notes) FROM Contacts) FROM Account", "("),
    ],
)
def test_unexpected_tokens(text, token):
    e = error(text)
    assert e.error_code == "MALFORMED_QUERY"
    assert e.message.endswith(f"unexpected token: {token}")
    assert "ERROR at Row:1:Column:" in e.message


def test_error_row_and_column_on_later_lines():
    e = error("SELECT Id\nFROM Contact\nWHERE Foo = 'x'")
    assert e.error_code == "INVALID_FIELD"
    assert "\nWHERE Foo = 'x'\n      ^\nERROR at Row:3:Column:7\n" in e.message


def test_invalid_field_and_type_messages():
    e = error("SELECT Id, Nope FROM Contact")
    assert e.error_code == "INVALID_FIELD"
    assert e.message.endswith(
        "No such column 'Nope' on entity 'Contact'. If you are attempting to use a custom field, be sure to "
        "append the '__c' after the custom field name. Please reference your WSDL or the describe call for "
        "the appropriate names."
    )
    e = error("SELECT Id FROM Widget__c")
    assert e.error_code == "INVALID_TYPE"
    assert "sObject type 'Widget__c' is not supported." in e.message
    e = error("SELECT Foo.Name FROM Contact")
    assert e.error_code == "INVALID_FIELD"
    assert "Didn't understand relationship 'Foo' in field path." in e.message
    e = error("SELECT Id, (SELECT Id FROM Widgets) FROM Account")
    assert e.error_code == "INVALID_TYPE"
    assert "Didn't understand relationship 'Widgets' in FROM part of query call." in e.message
    assert "No such column 'Nope' on entity 'Account'" in error("SELECT Account.Nope FROM Contact").message


def test_not_filterable_and_not_sortable():
    e = error("SELECT Id FROM Event WHERE Description = 'x'")
    assert e.error_code == "INVALID_FIELD"
    assert e.message.endswith("field 'Description' can not be filtered in a query call")
    assert error("SELECT Id FROM Note WHERE body LIKE '%x%'").message.endswith(
        "field 'Body' can not be filtered in a query call"
    )
    assert error("SELECT Id FROM Note ORDER BY Body").message.endswith("field 'Body' can not be sorted in a query call")
    # Selecting it is fine.
    assert parse("SELECT Description FROM Event", Schema.default())


def test_duplicate_field():
    e = error("SELECT Id, Email, email FROM Contact")
    assert e.error_code == "MALFORMED_QUERY"
    assert e.message.endswith("duplicate field selected: email")
    assert error("SELECT Account.Name, account.name FROM Contact").message.endswith(
        "duplicate field selected: account.name"
    )


def test_illegal_escapes_and_long_literals():
    e = error("SELECT Id FROM Contact WHERE Email = 'a\\qb'")
    assert e.error_code == "MALFORMED_QUERY"
    assert "Invalid string literal 'a\\qb'. Illegal escape sequence: \\q" in e.message
    assert error("SELECT Id FROM Contact WHERE Email = 'a\\%'").error_code == "MALFORMED_QUERY"
    assert error("SELECT Id FROM Contact WHERE Email = '\\u12'").error_code == "MALFORMED_QUERY"
    assert parse(f"SELECT Id FROM Contact WHERE Email = '{'a' * 4000}'", Schema.default())
    assert error(f"SELECT Id FROM Contact WHERE Email = '{'a' * 4001}'").error_code == "MALFORMED_QUERY"


def test_statement_length_limit():
    pad = " " * (100_000 - len("SELECT Id FROM Contact"))
    assert parse("SELECT Id FROM Contact" + pad, Schema.default())
    e = error("SELECT Id FROM Contact" + pad + " ")
    assert e.error_code == "MALFORMED_QUERY"
    assert "100000" in e.message


def test_semi_join_restrictions():
    assert error("SELECT Id FROM Contact WHERE Email = 'a' OR Id IN (SELECT WhoId FROM Event)").message.endswith(
        "Semi join sub-selects are not allowed with the 'OR' operator"
    )
    assert error(
        "SELECT Id FROM Contact WHERE (Email = 'a' OR (LastName = 'b' AND Id IN (SELECT WhoId FROM Event)))"
    ).message.endswith("Semi join sub-selects are not allowed with the 'OR' operator")
    three = " AND ".join(["Id IN (SELECT WhoId FROM Event)"] * 3)
    assert error(f"SELECT Id FROM Contact WHERE {three}").error_code == "MALFORMED_QUERY"
    for bad in (
        "SELECT Id FROM Contact WHERE Email IN (SELECT Email FROM Lead)",
        "SELECT Id FROM Contact WHERE Id IN (SELECT WhoId, WhatId FROM Event)",
        "SELECT Id FROM Contact WHERE Id IN (SELECT Subject FROM Event)",
        "SELECT Id FROM Contact WHERE Id IN (SELECT WhoId FROM Event LIMIT 5)",
        "SELECT Id FROM Contact WHERE Id IN (SELECT WhoId FROM Event WHERE WhatId IN (SELECT Id FROM Account))",
        "SELECT Id FROM Contact WHERE NOT Id IN (SELECT WhoId FROM Event)",
    ):
        assert error(bad).error_code == "MALFORMED_QUERY", bad
    assert error("SELECT Id FROM Contact WHERE Id IN (SELECT Nope FROM Event)").error_code == "INVALID_FIELD"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "SELECT Id FROM Contact WHERE Email = 5",
            "value of filter criterion for field 'Email' must be of type string and should be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Opportunity WHERE IsClosed = 'false'",
            "value of filter criterion for field 'IsClosed' must be of type boolean and should not be enclosed in "
            "quotes",
        ),
        (
            "SELECT Id FROM Opportunity WHERE CloseDate = '2026-01-01'",
            "value of filter criterion for field 'CloseDate' must be of type date and should not be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Contact WHERE CreatedDate > 2026-01-01",
            "value of filter criterion for field 'CreatedDate' must be of type dateTime and should not be enclosed "
            "in quotes",
        ),
        ("SELECT Id FROM Contact WHERE AccountId = '001xyz'", "invalid ID field: 001xyz"),
    ],
)
def test_filter_type_errors(text, message):
    e = error(text)
    assert e.error_code == "INVALID_QUERY_FILTER_OPERATOR"
    assert e.message.endswith(message)


def test_offset_limit():
    e = error("SELECT Id FROM Contact LIMIT 10 OFFSET 2001")
    assert e.error_code == "NUMBER_OUTSIDE_VALID_RANGE"


def test_relationship_depth_limit():
    assert parse("SELECT Account.Owner.CreatedBy.CreatedBy.CreatedBy.Email FROM Contact", Schema.default())
    e = error("SELECT Account.Owner.CreatedBy.CreatedBy.CreatedBy.CreatedBy.Email FROM Contact")
    assert e.error_code == "MALFORMED_QUERY"


def test_object_name_prefix_in_field_path(org):
    [r] = rows("SELECT Contact.LastName FROM Contact WHERE Contact.Email = 'jane.doe@acme.test'", org)
    assert r["LastName"] == "Doe"


def test_polymorphic_fields_in_where(org):
    assert len(rows("SELECT Id FROM Event WHERE Who.Type = 'contact' AND What.Name LIKE 'big%'", org)) == 1
    assert rows("SELECT Id FROM Event WHERE Who.Type = 'Lead'", org) == []


def test_negative_numbers_and_invalid_dates(org):
    assert len(rows("SELECT Id FROM Opportunity WHERE Amount > -5.5", org)) == 2
    assert error("SELECT Id FROM Opportunity WHERE CloseDate = 2026-13-01").message.endswith(
        "unexpected token: 2026-13-01"
    )
    assert error("SELECT Id FROM Contact WHERE Email IN ()").message.endswith("unexpected token: )")
