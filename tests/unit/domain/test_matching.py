from datetime import timedelta

from domain_builders import NOW, account, contact, day, days_ago, lead, meeting, opp, org, role, user

from service.domain.matching import match_meeting, twelve_months_before
from service.domain.messages import MatchConfidence, MatchPath, Person, UnmatchedEmail
from service.domain.snapshot import SalesforceSnapshot

JANE = "jane@techcorp.com"
JOE = "joe@techcorp.com"
OWNER_USER = user("005OWN", "owner@icecubes.io")


def run(m, snapshot, config=None):  # type: ignore[no-untyped-def]
    return match_meeting(m, config or org(), snapshot, NOW)


# ---------------------------------------------------------------- rule 1: emails and participants


def test_emails_match_trimmed_and_case_insensitively() -> None:
    snap = SalesforceSnapshot(contacts=(contact("003A", "Jane@TechCorp.COM"),))
    match = run(meeting("  JANE@techcorp.com "), snap)
    assert match.report.matched_contact_ids == ["003A"]
    assert match.contact is not None
    assert match.contact.id == "003A"


def test_participant_without_email_is_kept_but_cannot_match() -> None:
    m = meeting(participants=[Person(email=None, name="Dial-in user"), Person(email=JANE)])
    match = run(m, SalesforceSnapshot(contacts=(contact("003A", JANE),)))
    assert any(p.email is None and p.name == "Dial-in user" for p in match.participants)
    assert UnmatchedEmail(email="", why="no_email") in match.report.unmatched


def test_duplicate_participants_collapse() -> None:
    m = meeting(JANE, "JANE@techcorp.com", JANE)
    match = run(m, SalesforceSnapshot())
    assert [p.email for p in match.participants] == ["owner@icecubes.io", JANE]
    assert match.report.unmatched_emails == [JANE]


def test_meeting_owner_is_a_participant_and_internal() -> None:
    match = run(
        meeting(JANE, owner="olivia@gmail.com"), SalesforceSnapshot(contacts=(contact("003O", "olivia@gmail.com"),))
    )
    assert "olivia@gmail.com" in match.report.internal_emails
    assert match.report.matched_contact_ids == []


# ---------------------------------------------------------------- rule 2: internal participants


def test_verified_domain_and_subdomain_participants_are_internal() -> None:
    snap = SalesforceSnapshot(contacts=(contact("003B", "bob@eu.icecubes.io"),))
    match = run(meeting("bob@eu.icecubes.io", JANE), snap)
    assert match.report.internal_emails == ["bob@eu.icecubes.io", "owner@icecubes.io"]
    assert match.report.matched_contact_ids == []


def test_active_standard_user_is_internal_and_never_matched_to_a_contact() -> None:
    snap = SalesforceSnapshot(
        users=(user("005C", "consultant@partnerfirm.com"),),
        contacts=(contact("003C", "consultant@partnerfirm.com"),),
    )
    match = run(meeting("consultant@partnerfirm.com"), snap)
    assert "consultant@partnerfirm.com" in match.report.internal_emails
    assert match.report.matched_contact_ids == []
    assert match.internal_only


def test_portal_partner_and_inactive_users_are_external() -> None:
    snap = SalesforceSnapshot(
        users=(
            user("005P", "p@partner.com", user_type="PowerPartner"),
            user("005Q", "q@customer.com", user_type="CspLitePortal"),
            user("005I", "gone@oldco.com", is_active=False),
        ),
        contacts=(
            contact("003P", "p@partner.com"),
            contact("003Q", "q@customer.com"),
            contact("003I", "gone@oldco.com"),
        ),
    )
    match = run(meeting("p@partner.com", "q@customer.com", "gone@oldco.com"), snap)
    assert match.report.matched_contact_ids == ["003I", "003P", "003Q"]
    assert not match.internal_only


# ---------------------------------------------------------------- rule 3: Contacts and Leads


def test_several_contacts_sharing_an_email_all_count_as_matched() -> None:
    snap = SalesforceSnapshot(contacts=(contact("003B", JANE), contact("003A", JANE)))
    match = run(meeting(JANE), snap)
    assert match.report.matched_contact_ids == ["003A", "003B"]
    assert [c.id for c in match.attendee_contacts] == ["003B"]


def test_converted_leads_are_ignored() -> None:
    snap = SalesforceSnapshot(leads=(lead("00QA", JANE, is_converted=True), lead("00QB", JOE)))
    match = run(meeting(JANE, JOE), snap)
    assert match.report.matched_lead_ids == ["00QB"]
    assert match.report.unmatched_emails == [JANE]


def test_lead_of_a_person_who_is_a_contact_is_not_used() -> None:
    snap = SalesforceSnapshot(contacts=(contact("003A", JANE),), leads=(lead("00QA", JANE),))
    match = run(meeting(JANE), snap)
    assert match.report.matched_lead_ids == []
    assert match.lead is None


# ---------------------------------------------------------------- rule 4: OCR path


def test_ocr_opportunity_linked_to_most_participants_wins_with_high_confidence() -> None:
    snap = SalesforceSnapshot(
        contacts=(contact("003A", JANE, "001A"), contact("003B", JOE, "001A")),
        opportunities=(opp("006X", "001A", modified=days_ago(0)), opp("006Y", "001A", modified=days_ago(5))),
        contact_roles=(role("006X", "003A"), role("006Y", "003A"), role("006Y", "003B")),
    )
    match = run(meeting(JANE, JOE), snap)
    assert (match.report.path, match.report.confidence) == (MatchPath.OCR, MatchConfidence.HIGH)
    assert match.report.opportunity_id == "006Y"
    assert match.report.account_id == "001A"


def test_ocr_votes_count_participants_not_contacts() -> None:
    # Two Contacts of the same person on 006X must not outvote two different people on 006Y.
    snap = SalesforceSnapshot(
        contacts=(contact("003A", JANE), contact("003A2", JANE), contact("003B", JOE)),
        opportunities=(opp("006X", modified=days_ago(0)), opp("006Y", modified=days_ago(9))),
        contact_roles=(role("006X", "003A"), role("006X", "003A2"), role("006Y", "003A"), role("006Y", "003B")),
    )
    assert run(meeting(JANE, JOE), snap).report.opportunity_id == "006Y"


def test_ocr_tie_goes_to_opportunity_where_a_participant_is_primary() -> None:
    snap = SalesforceSnapshot(
        contacts=(contact("003A", JANE),),
        opportunities=(opp("006X", modified=days_ago(0)), opp("006Y", modified=days_ago(9))),
        contact_roles=(role("006X", "003A"), role("006Y", "003A", primary=True)),
    )
    match = run(meeting(JANE), snap)
    assert match.report.opportunity_id == "006Y"
    assert any("Primary role" in line for line in match.report.explanation)


def test_ocr_tie_then_goes_to_most_recently_modified() -> None:
    snap = SalesforceSnapshot(
        contacts=(contact("003A", JANE),),
        opportunities=(opp("006X", modified=days_ago(3)), opp("006Y", modified=days_ago(1))),
        contact_roles=(role("006X", "003A"), role("006Y", "003A")),
    )
    assert run(meeting(JANE), snap).report.opportunity_id == "006Y"


def test_ocr_full_tie_goes_to_smallest_id() -> None:
    snap = SalesforceSnapshot(
        contacts=(contact("003A", JANE),),
        opportunities=(opp("006Y"), opp("006X")),
        contact_roles=(role("006Y", "003A"), role("006X", "003A")),
    )
    assert run(meeting(JANE), snap).report.opportunity_id == "006X"


def test_ocr_ignores_closed_and_older_than_twelve_months_opportunities() -> None:
    snap = SalesforceSnapshot(
        contacts=(contact("003A", JANE),),
        opportunities=(opp("006C", closed=True), opp("006O", created=twelve_months_before(NOW) - timedelta(seconds=1))),
        contact_roles=(role("006C", "003A"), role("006O", "003A")),
    )
    match = run(meeting(JANE), snap)
    assert match.report.path is MatchPath.NONE
    assert match.report.opportunity_id is None


def test_opportunity_created_exactly_twelve_months_ago_still_counts() -> None:
    snap = SalesforceSnapshot(
        contacts=(contact("003A", JANE),),
        opportunities=(opp("006E", created=twelve_months_before(NOW)),),
        contact_roles=(role("006E", "003A"),),
    )
    assert run(meeting(JANE), snap).report.opportunity_id == "006E"


# ---------------------------------------------------------------- rule 5: Account path


def test_account_opportunity_owned_by_someone_on_the_call_is_medium_account_owned() -> None:
    snap = SalesforceSnapshot(
        users=(OWNER_USER, user("005OTHER", "someone@icecubes.io")),
        contacts=(contact("003A", JANE, "001A"),),
        opportunities=(opp("006OWN", "001A", "005OWN", modified=days_ago(20)), opp("006NEW", "001A", "005OTHER")),
    )
    match = run(meeting(JANE), snap)
    assert (match.report.path, match.report.confidence) == (MatchPath.ACCOUNT_OWNED, MatchConfidence.MEDIUM)
    assert match.report.opportunity_id == "006OWN"


def test_account_opportunity_owned_by_internal_participant_other_than_owner_counts() -> None:
    snap = SalesforceSnapshot(
        users=(user("005BOB", "bob@icecubes.io"),),
        contacts=(contact("003A", JANE, "001A"),),
        opportunities=(opp("006B", "001A", "005BOB"),),
    )
    assert run(meeting(JANE, "bob@icecubes.io"), snap).report.path is MatchPath.ACCOUNT_OWNED


def test_account_opportunity_owned_by_nobody_on_the_call_is_low_account_most_recent() -> None:
    snap = SalesforceSnapshot(
        contacts=(contact("003A", JANE, "001A"),),
        opportunities=(opp("006OLD", "001A", "005X", modified=days_ago(9)), opp("006NEW", "001A", "005Y")),
    )
    match = run(meeting(JANE), snap)
    assert (match.report.path, match.report.confidence) == (MatchPath.ACCOUNT, MatchConfidence.LOW)
    assert match.report.opportunity_id == "006NEW"


def test_account_without_qualifying_opportunity_is_low_account_only() -> None:
    snap = SalesforceSnapshot(
        contacts=(contact("003A", JANE, "001A"),),
        accounts=(account("001A"),),
        opportunities=(opp("006C", "001A", closed=True),),
    )
    match = run(meeting(JANE), snap)
    assert (match.report.path, match.report.confidence) == (MatchPath.ACCOUNT_ONLY, MatchConfidence.LOW)
    assert match.report.account_id == "001A"


def test_account_only_picks_account_with_most_participants_then_most_recent_activity() -> None:
    snap = SalesforceSnapshot(
        contacts=(
            contact("003A", JANE, "001ONE"),
            contact("003B", JOE, "001TWO"),
            contact("003C", "kim@techcorp.com", "001TWO"),
            contact("003D", "lee@other.com", "001RECENT"),
        ),
        accounts=(account("001TWO", last_activity_date=day(90)), account("001RECENT", last_activity_date=day(1))),
    )
    assert run(meeting(JANE, JOE, "kim@techcorp.com", "lee@other.com"), snap).report.account_id == "001TWO"
    tie = run(meeting(JANE, "lee@other.com"), snap)
    assert tie.report.account_id == "001RECENT"


# ---------------------------------------------------------------- rule 6: domain path


def test_domain_path_finds_account_by_website_for_participants_without_contact() -> None:
    snap = SalesforceSnapshot(accounts=(account("001T", "https://www.techcorp.com/about"),))
    match = run(meeting(JANE), snap)
    assert (match.report.path, match.report.confidence) == (MatchPath.ACCOUNT_ONLY, MatchConfidence.LOW)
    assert match.domain_account is not None
    assert match.domain_account.id == "001T"
    assert match.domain_accounts == {"techcorp.com": "001T"}
    assert match.report.account_id == "001T"


def test_domain_path_opportunity_is_low_account_even_when_owned_by_someone_on_the_call() -> None:
    snap = SalesforceSnapshot(
        users=(OWNER_USER,),
        accounts=(account("001T", "techcorp.com"),),
        opportunities=(opp("006T", "001T", "005OWN"),),
    )
    match = run(meeting(JANE), snap)
    assert (match.report.path, match.report.confidence) == (MatchPath.ACCOUNT, MatchConfidence.LOW)
    assert match.report.opportunity_id == "006T"


def test_domain_path_does_not_match_lookalike_domains() -> None:
    snap = SalesforceSnapshot(accounts=(account("001T", "techcorp.com"),))
    match = run(meeting("amy@notechcorp.com"), snap)
    assert match.report.path is MatchPath.NONE
    assert match.domain_account is None


def test_domain_path_skips_free_mail_domains() -> None:
    snap = SalesforceSnapshot(accounts=(account("001G", "gmail.com"),))
    match = run(meeting("amy@gmail.com"), snap)
    assert match.domain_account is None
    assert match.report.unmatched == [UnmatchedEmail(email="amy@gmail.com", why="free_mail_domain")]


def test_domain_accounts_are_used_only_when_contacts_accounts_gave_no_opportunity() -> None:
    snap = SalesforceSnapshot(
        contacts=(contact("003A", JANE, "001A"),),
        accounts=(account("001A"), account("001D", "acme.com")),
        opportunities=(opp("006A", "001A", modified=days_ago(30)), opp("006D", "001D", modified=days_ago(0))),
    )
    match = run(meeting(JANE, "amy@acme.com"), snap)
    assert match.report.opportunity_id == "006A"
    assert match.domain_accounts == {"acme.com": "001D"}


def test_domain_account_opportunity_is_used_when_contacts_account_has_none() -> None:
    snap = SalesforceSnapshot(
        contacts=(contact("003A", JANE, "001A"),),
        accounts=(account("001A"), account("001D", "acme.com")),
        opportunities=(opp("006D", "001D"),),
    )
    match = run(meeting(JANE, "amy@acme.com"), snap)
    assert (match.report.path, match.report.opportunity_id, match.report.account_id) == (
        MatchPath.ACCOUNT,
        "006D",
        "001D",
    )


def test_domain_path_prefers_the_most_specific_website() -> None:
    snap = SalesforceSnapshot(accounts=(account("001P", "techcorp.com"), account("001E", "eu.techcorp.com")))
    assert run(meeting("amy@eu.techcorp.com"), snap).domain_accounts == {"eu.techcorp.com": "001E"}


# ---------------------------------------------------------------- rule 7: primary records


def test_primary_contact_is_primary_role_on_chosen_opportunity_first() -> None:
    snap = SalesforceSnapshot(
        contacts=(
            contact("003A", JANE, "001A", last_activity_date=day(0)),
            contact("003B", JOE, "001A", last_activity_date=day(50)),
        ),
        opportunities=(opp("006X", "001A"),),
        contact_roles=(role("006X", "003A"), role("006X", "003B", primary=True)),
    )
    match = run(meeting(JANE, JOE), snap)
    assert match.report.contact_id == "003B"
    assert [c.id for c in match.attendee_contacts] == ["003A"]


def test_primary_contact_then_prefers_contacts_of_the_primary_account() -> None:
    snap = SalesforceSnapshot(
        contacts=(
            contact("003A", JANE, "001A", last_activity_date=day(30)),
            contact("003B", "x@other.com", "001B", last_activity_date=day(0)),
        ),
        opportunities=(opp("006A", "001A"),),
        contact_roles=(role("006A", "003A"),),
    )
    assert run(meeting(JANE, "x@other.com"), snap).report.contact_id == "003A"


def test_primary_contact_then_latest_activity_then_latest_change_then_smallest_id() -> None:
    by_activity = SalesforceSnapshot(
        contacts=(contact("003A", JANE, last_activity_date=day(5)), contact("003B", JOE, last_activity_date=day(1)))
    )
    assert run(meeting(JANE, JOE), by_activity).report.contact_id == "003B"
    by_change = SalesforceSnapshot(
        contacts=(
            contact("003A", JANE, last_modified_date=days_ago(1)),
            contact("003B", JOE, last_modified_date=days_ago(2)),
        )
    )
    assert run(meeting(JANE, JOE), by_change).report.contact_id == "003A"
    tie = SalesforceSnapshot(contacts=(contact("003B", JOE), contact("003A", JANE)))
    assert run(meeting(JANE, JOE), tie).report.contact_id == "003A"


def test_primary_account_is_the_opportunitys_account() -> None:
    snap = SalesforceSnapshot(
        contacts=(contact("003A", JANE, "001CONTACT"),),
        opportunities=(opp("006X", "001OPP"),),
        contact_roles=(role("006X", "003A"),),
    )
    assert run(meeting(JANE), snap).report.account_id == "001OPP"


def test_primary_account_is_the_primary_contacts_when_opportunity_has_none() -> None:
    snap = SalesforceSnapshot(
        contacts=(contact("003A", JANE, "001A"),),
        opportunities=(opp("006X", None),),
        contact_roles=(role("006X", "003A"),),
    )
    assert run(meeting(JANE), snap).report.account_id == "001A"


def test_lead_is_the_who_when_no_contact_matched() -> None:
    snap = SalesforceSnapshot(
        leads=(lead("00QA", JANE, last_modified_date=days_ago(9)), lead("00QB", JOE, last_modified_date=days_ago(1)))
    )
    match = run(meeting(JANE, JOE), snap)
    assert match.lead is not None
    assert match.lead.id == "00QB"
    assert match.report.lead_id == "00QB"
    assert [ld.id for ld in match.attendee_leads] == ["00QA"]
    assert (match.report.path, match.report.confidence) == (MatchPath.NONE, MatchConfidence.NONE)


# ---------------------------------------------------------------- rule 8: confidence none and unmatched


def test_contact_without_account_is_reported_with_confidence_none() -> None:
    match = run(meeting(JANE), SalesforceSnapshot(contacts=(contact("003A", JANE),)))
    assert (match.report.path, match.report.confidence) == (MatchPath.NONE, MatchConfidence.NONE)
    assert match.report.contact_id == "003A"


def test_unmatched_emails_say_why() -> None:
    snap = SalesforceSnapshot(users=(user("005B", "bob@partnerco.com"),))
    m = meeting("bob@partnerco.com", "amy@acme.com", "x@gmail.com", None)
    match = run(m, snap)
    assert match.report.internal_emails == ["bob@partnerco.com", "owner@icecubes.io"]
    assert match.report.unmatched_emails == ["amy@acme.com", "x@gmail.com"]
    assert match.report.unmatched == [
        UnmatchedEmail(email="amy@acme.com", why="no_record"),
        UnmatchedEmail(email="x@gmail.com", why="free_mail_domain"),
        UnmatchedEmail(email="", why="no_email"),
    ]


def test_explanation_names_every_ladder_step() -> None:
    match = run(meeting(JANE), SalesforceSnapshot(contacts=(contact("003A", JANE, "001A"),)))
    text = "\n".join(match.report.explanation)
    for step in ("Step 1", "Step 2", "Step 3", "Step 4", "Step 5", "Step 6"):
        assert step in text
    assert "account_only" in text
