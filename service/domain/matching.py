"""The search ladder: which Salesforce records a meeting belongs to, and how sure we are.

A pure function of (meeting, org config, Salesforce snapshot, now). The snapshot's queries already
pre-filter, but every rule is applied again here so the result never depends on what a query let
through. Everything is sorted before it is chosen, so the participants' order never matters.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from service.domain.addresses import (
    is_free_mail,
    is_same_or_subdomain,
    normalize_email,
    website_host,
)
from service.domain.messages import (
    MatchConfidence,
    MatchPath,
    MatchReport,
    MeetingSummary,
    OrgConfig,
    UnmatchedEmail,
)
from service.domain.participants import Participant, meeting_participants, on_verified_domain
from service.domain.snapshot import (
    SalesforceSnapshot,
    SfAccount,
    SfContact,
    SfLead,
    SfOpportunity,
    SfUser,
)

CONFIDENCE_OF_PATH: Mapping[MatchPath, MatchConfidence] = {
    MatchPath.OCR: MatchConfidence.HIGH,
    MatchPath.ACCOUNT_OWNED: MatchConfidence.MEDIUM,
    MatchPath.ACCOUNT: MatchConfidence.LOW,
    MatchPath.ACCOUNT_ONLY: MatchConfidence.LOW,
    MatchPath.NONE: MatchConfidence.NONE,
}
INTERNAL_USER_TYPE = "standard"
_OLDEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Match:
    """What the ladder found: the published report plus the records planning links to."""

    report: MatchReport
    contact: SfContact | None = None  # primary Contact: the Event's and Tasks' WhoId
    lead: SfLead | None = None  # primary Lead, only when no Contact matched
    account_id: str | None = None  # primary Account
    opportunity: SfOpportunity | None = None
    attendee_contacts: tuple[SfContact, ...] = ()  # the other matched Contacts, by Id
    attendee_leads: tuple[SfLead, ...] = ()  # matched Leads other than `lead`, by Id
    domain_account: SfAccount | None = None  # best Account found by an email domain
    domain_accounts: Mapping[str, str] = field(default_factory=dict)  # email domain -> Account Id
    unmatched_external: tuple[Participant, ...] = ()  # external, with an email, no Contact or Lead
    internal_only: bool = False  # nobody external with an email (after the User check)
    participants: tuple[Participant, ...] = ()  # owner first, then the meeting's order

    @property
    def unmatched_emails(self) -> tuple[str, ...]:
        return tuple(p.email for p in self.unmatched_external if p.email)


# ---------------------------------------------------------------- small rules


def twelve_months_before(now: datetime) -> datetime:
    """The same instant one calendar year earlier (29 February falls back to the 28th)."""
    try:
        return now.replace(year=now.year - 1)
    except ValueError:
        return now.replace(year=now.year - 1, day=28)


def _utc(moment: datetime | None) -> datetime:
    if moment is None:
        return _OLDEST
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _day(value: date | None) -> int:
    return value.toordinal() if value is not None else 0


def _recency(moment: datetime | None) -> float:
    """Sort key: larger is more recent; unknown is oldest."""
    return _utc(moment).timestamp()


def is_qualifying_opportunity(opportunity: SfOpportunity, now: datetime) -> bool:
    """Open and created within the 12 months before `now`."""
    return not opportunity.is_closed and _utc(opportunity.created_date) >= twelve_months_before(_utc(now))


def users_by_email(users: Iterable[SfUser]) -> dict[str, tuple[SfUser, ...]]:
    """Users by normalised email, internal (Standard) before others, then by Id."""
    grouped: dict[str, list[SfUser]] = defaultdict(list)
    for user in users:
        email = normalize_email(user.email)
        if email is not None:
            grouped[email].append(user)
    return {
        email: tuple(sorted(found, key=lambda u: (u.user_type.lower() != INTERNAL_USER_TYPE, u.id)))
        for email, found in grouped.items()
    }


def is_internal_user(user: SfUser) -> bool:
    return user.is_active and user.user_type.lower() == INTERNAL_USER_TYPE


def active_user_for(email: str | None, users: Mapping[str, tuple[SfUser, ...]]) -> SfUser | None:
    """The active User with this email (an internal one first), or None."""
    normalized = normalize_email(email)
    if normalized is None:
        return None
    return next((u for u in users.get(normalized, ()) if u.is_active), None)


def _most_recent_opportunity(opportunities: Iterable[SfOpportunity]) -> SfOpportunity | None:
    return min(opportunities, key=lambda o: (-_recency(o.last_modified_date), o.id), default=None)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _listed(items: Iterable[str]) -> str:
    values = list(items)
    return ", ".join(values) if values else "none"


# ---------------------------------------------------------------- the ladder


@dataclass
class _Ladder:
    """Working state of one run; only `match_meeting` builds and reads it."""

    meeting: MeetingSummary
    org: OrgConfig
    snapshot: SalesforceSnapshot
    now: datetime
    lines: list[str] = field(default_factory=list)

    def run(self) -> Match:
        people = meeting_participants(self.meeting)
        users = users_by_email(self.snapshot.users)
        internal, external = self._split_internal(people, users)

        contacts_by_email, leads_by_email = self._records_by_email(external)
        contact_email = {c.id: e for e, found in contacts_by_email.items() for c in found}
        matched_contacts = sorted({c.id: c for cs in contacts_by_email.values() for c in cs}.values(), key=_id)
        matched_leads = sorted({ld.id: ld for ls in leads_by_email.values() for ld in ls}.values(), key=_id)
        self._say_records(external, contacts_by_email, leads_by_email)

        internal_user_ids = {u.id for e in internal for u in users.get(e, ()) if u.is_active}
        opportunities = self._qualifying_opportunities()

        path = MatchPath.NONE
        opportunity: SfOpportunity | None = None
        ladder_account: str | None = None

        # Step 3: Opportunity contact roles.
        opportunity = self._ocr(contact_email, opportunities) if matched_contacts else None
        if opportunity is not None:
            path = MatchPath.OCR

        # Step 4: Opportunities on the matched Contacts' Accounts.
        contact_accounts = sorted({c.account_id for c in matched_contacts if c.account_id})
        if opportunity is None:
            opportunity, path = self._account_path(contact_accounts, opportunities, internal_user_ids)

        # Step 5: Accounts whose Website is an external participant's company domain.
        without_contact = [e for e in external if e not in contacts_by_email]
        domain_accounts, domain_account, domain_account_ids = self._domain_search(without_contact)
        if opportunity is None and domain_account_ids:
            opportunity = _most_recent_opportunity(o for o in opportunities if o.account_id in domain_account_ids)
            if opportunity is not None:
                path = MatchPath.ACCOUNT
                self.lines.append(
                    f"Domain path: Opportunity {opportunity.id} is the most recently modified open one on "
                    "the Accounts found by domain (low confidence: no Contact links it)."
                )
            else:
                self.lines.append("Domain path: the Accounts found by domain have no qualifying Opportunity.")

        if opportunity is None:
            ladder_account = self._account_only(contact_accounts, contact_email, matched_contacts, domain_account)
            if ladder_account is not None:
                path = MatchPath.ACCOUNT_ONLY

        # Step 6: primary records.
        focus_account = opportunity.account_id if opportunity is not None and opportunity.account_id else None
        focus_account = focus_account or ladder_account
        contact = self._primary_contact(matched_contacts, opportunity, focus_account)
        lead = None if contact is not None else _primary_lead(matched_leads)
        account_id = focus_account or (contact.account_id if contact is not None else None)
        if account_id is None and domain_account is not None:
            account_id = domain_account.id
        self._say_primary(contact, lead, account_id, opportunity, path)

        no_record = set(external) - contacts_by_email.keys() - leads_by_email.keys()
        unmatched_external = tuple(sorted((p for p in people if p.email in no_record), key=lambda p: p.email or ""))
        report = MatchReport(
            confidence=CONFIDENCE_OF_PATH[path],
            path=path,
            contact_id=contact.id if contact else None,
            lead_id=lead.id if lead else None,
            account_id=account_id,
            opportunity_id=opportunity.id if opportunity else None,
            matched_contact_ids=[c.id for c in matched_contacts],
            matched_lead_ids=[ld.id for ld in matched_leads],
            internal_emails=sorted(internal),
            unmatched_emails=[p.email for p in unmatched_external if p.email],
            unmatched=_unmatched(unmatched_external, people),
            explanation=self.lines,
        )
        return Match(
            report=report,
            contact=contact,
            lead=lead,
            account_id=account_id,
            opportunity=opportunity,
            attendee_contacts=tuple(c for c in matched_contacts if contact is None or c.id != contact.id),
            attendee_leads=tuple(ld for ld in matched_leads if lead is None or ld.id != lead.id),
            domain_account=domain_account,
            domain_accounts=domain_accounts,
            unmatched_external=unmatched_external,
            internal_only=not external,
            participants=people,
        )

    # -- step 1

    def _split_internal(
        self, people: Iterable[Participant], users: Mapping[str, tuple[SfUser, ...]]
    ) -> tuple[list[str], list[str]]:
        internal: list[str] = []
        external: list[str] = []
        by_user: list[str] = []
        for person in people:
            if person.email is None:
                continue
            if person.is_owner or on_verified_domain(person, self.org.verified_domains):
                internal.append(person.email)
            elif any(is_internal_user(u) for u in users.get(person.email, ())):
                internal.append(person.email)
                by_user.append(person.email)
            else:
                external.append(person.email)
        internal.sort()
        external.sort()
        line = (
            f"Step 1, internal participants: {len(internal)} (the meeting owner, verified domains "
            "and active Salesforce Users are internal)"
        )
        if by_user:
            line += f"; found as Salesforce Users: {_listed(sorted(by_user))}"
        line += f". External participants with an email: {len(external)} ({_listed(external)})."
        self.lines.append(line)
        return internal, external

    # -- step 2

    def _records_by_email(self, external: list[str]) -> tuple[dict[str, list[SfContact]], dict[str, list[SfLead]]]:
        wanted = set(external)
        contacts: dict[str, list[SfContact]] = defaultdict(list)
        for contact in self.snapshot.contacts:
            email = normalize_email(contact.email)
            if email in wanted and email is not None:
                contacts[email].append(contact)
        leads: dict[str, list[SfLead]] = defaultdict(list)
        for lead in self.snapshot.leads:
            email = normalize_email(lead.email)
            # A person who is a Contact is that Contact: their Lead record is not used.
            if email in wanted and email is not None and not lead.is_converted and email not in contacts:
                leads[email].append(lead)
        return dict(contacts), dict(leads)

    def _say_records(
        self,
        external: list[str],
        contacts: Mapping[str, list[SfContact]],
        leads: Mapping[str, list[SfLead]],
    ) -> None:
        if not external:
            self.lines.append("Step 2, Contacts and Leads by email: skipped, nobody external has an email.")
            return
        contact_count = len({c.id for cs in contacts.values() for c in cs})
        lead_count = len({ld.id for ls in leads.values() for ld in ls})
        self.lines.append(
            f"Step 2, Contacts and Leads by email: {_plural(contact_count, 'Contact')} for "
            f"{len(contacts)} of {len(external)} external emails; "
            f"{_plural(lead_count, 'open Lead')} for the emails without a Contact."
        )

    # -- steps 3 and 4

    def _qualifying_opportunities(self) -> list[SfOpportunity]:
        unique = {o.id: o for o in sorted(self.snapshot.opportunities, key=_id)}
        return [o for o in unique.values() if is_qualifying_opportunity(o, self.now)]

    def _ocr(self, contact_email: Mapping[str, str], opportunities: list[SfOpportunity]) -> SfOpportunity | None:
        by_id = {o.id: o for o in opportunities}
        voters: dict[str, set[str]] = defaultdict(set)
        primary: set[str] = set()
        for role in self.snapshot.contact_roles:
            email = contact_email.get(role.contact_id)
            if email is None or role.opportunity_id not in by_id:
                continue
            voters[role.opportunity_id].add(email)
            if role.is_primary:
                primary.add(role.opportunity_id)
        if not voters:
            self.lines.append(
                "Step 3, Opportunity contact roles: no matched Contact has a role on an open Opportunity "
                "created in the last 12 months."
            )
            return None
        ranked = sorted(
            voters,
            key=lambda oid: (
                -len(voters[oid]),
                oid not in primary,
                -_recency(by_id[oid].last_modified_date),
                oid,
            ),
        )
        winner = by_id[ranked[0]]
        line = (
            f"Step 3, Opportunity contact roles: {_plural(len(voters), 'candidate Opportunity')}; "
            f"{winner.id} is linked to {_plural(len(voters[winner.id]), 'participant')}"
        )
        if len(ranked) > 1 and len(voters[ranked[1]]) == len(voters[winner.id]):
            runner_up = ranked[1]
            if (winner.id in primary) != (runner_up in primary):
                line += ", tie broken by a participant's Primary role"
            elif by_id[runner_up].last_modified_date != winner.last_modified_date:
                line += ", tie broken by the most recent change"
            else:
                line += ", tie broken by the smallest Id"
        self.lines.append(line + " (high confidence).")
        return winner

    def _account_path(
        self, accounts: list[str], opportunities: list[SfOpportunity], internal_user_ids: set[str]
    ) -> tuple[SfOpportunity | None, MatchPath]:
        if not accounts:
            self.lines.append("Step 4, Account path: skipped, no matched Contact has an Account.")
            return None, MatchPath.NONE
        on_accounts = [o for o in opportunities if o.account_id in set(accounts)]
        owned = _most_recent_opportunity(o for o in on_accounts if o.owner_id in internal_user_ids)
        if owned is not None:
            self.lines.append(
                f"Step 4, Account path: Opportunity {owned.id} on Account {owned.account_id} is owned by "
                "a Salesforce User on the call (medium confidence)."
            )
            return owned, MatchPath.ACCOUNT_OWNED
        anyone = _most_recent_opportunity(on_accounts)
        if anyone is not None:
            self.lines.append(
                f"Step 4, Account path: no Opportunity on the Contacts' Accounts is owned by someone on "
                f"the call; {anyone.id} is the most recently modified open one (low confidence)."
            )
            return anyone, MatchPath.ACCOUNT
        self.lines.append(
            f"Step 4, Account path: the Contacts' Accounts ({_listed(accounts)}) have no open Opportunity "
            "created in the last 12 months."
        )
        return None, MatchPath.NONE

    # -- step 5

    def _domain_search(self, emails_without_contact: list[str]) -> tuple[dict[str, str], SfAccount | None, set[str]]:
        domains = sorted({d for e in emails_without_contact if not is_free_mail(d := e.rpartition("@")[2])})
        free = sorted({e for e in emails_without_contact if is_free_mail(e.rpartition("@")[2])})
        if not emails_without_contact:
            self.lines.append("Step 5, domain search: skipped, every external participant has a Contact.")
            return {}, None, set()
        hosts = {a.id: h for a in sorted(self.snapshot.accounts, key=_id) if (h := website_host(a.website)) is not None}
        accounts = {a.id: a for a in self.snapshot.accounts}
        per_domain: dict[str, str] = {}
        votes: dict[str, int] = defaultdict(int)
        matched_ids: set[str] = set()
        for domain in domains:
            candidates = [aid for aid, host in hosts.items() if is_same_or_subdomain(domain, host)]
            if not candidates:
                continue
            matched_ids.update(candidates)
            best = min(candidates, key=lambda aid: (-len(hosts[aid]), *_account_recency(accounts[aid]), aid))
            per_domain[domain] = best
            votes[best] += sum(1 for e in emails_without_contact if e.rpartition("@")[2] == domain)
        domain_account = None
        if votes:
            best_id = min(votes, key=lambda aid: (-votes[aid], -len(hosts[aid]), *_account_recency(accounts[aid]), aid))
            domain_account = accounts[best_id]
        line = f"Step 5, domain search: company domains {_listed(domains)}"
        if free:
            line += f" (free-mail addresses not searched: {_listed(free)})"
        if per_domain:
            line += "; Accounts found by Website: " + ", ".join(f"{d} → {a}" for d, a in sorted(per_domain.items()))
        else:
            line += "; no Account's Website matches"
        self.lines.append(line + ".")
        return per_domain, domain_account, matched_ids

    # -- account only

    def _account_only(
        self,
        contact_accounts: list[str],
        contact_email: Mapping[str, str],
        matched_contacts: list[SfContact],
        domain_account: SfAccount | None,
    ) -> str | None:
        if contact_accounts:
            people: dict[str, set[str]] = defaultdict(set)
            for contact in matched_contacts:
                if contact.account_id:
                    people[contact.account_id].add(contact_email[contact.id])
            accounts = {a.id: a for a in self.snapshot.accounts}
            chosen = min(
                contact_accounts,
                key=lambda aid: (-len(people[aid]), *_account_recency(accounts.get(aid)), aid),
            )
            self.lines.append(
                f"Account only: Account {chosen} holds the most matched participants; it has no qualifying "
                "Opportunity (low confidence)."
            )
            return chosen
        if domain_account is not None:
            self.lines.append(
                f"Account only: Account {domain_account.id} was found by email domain and has no qualifying "
                "Opportunity (low confidence)."
            )
            return domain_account.id
        self.lines.append("No Account or Opportunity could be associated (confidence none).")
        return None

    # -- step 6

    def _primary_contact(
        self, contacts: list[SfContact], opportunity: SfOpportunity | None, account_id: str | None
    ) -> SfContact | None:
        roles: dict[str, bool] = {}
        if opportunity is not None:
            for role in self.snapshot.contact_roles:
                if role.opportunity_id == opportunity.id:
                    roles[role.contact_id] = roles.get(role.contact_id, False) or role.is_primary
        return min(
            contacts,
            key=lambda c: (
                0 if roles.get(c.id) else 1 if c.id in roles else 2,
                c.account_id != account_id or account_id is None,
                -_day(c.last_activity_date),
                -_recency(c.last_modified_date),
                c.id,
            ),
            default=None,
        )

    def _say_primary(
        self,
        contact: SfContact | None,
        lead: SfLead | None,
        account_id: str | None,
        opportunity: SfOpportunity | None,
        path: MatchPath,
    ) -> None:
        who = f"Contact {contact.id}" if contact else f"Lead {lead.id}" if lead else "no Contact or Lead"
        self.lines.append(
            f"Step 6, primary records: {who}; Account {account_id or 'none'}; "
            f"Opportunity {opportunity.id if opportunity else 'none'} "
            f"(path {path.value}, confidence {CONFIDENCE_OF_PATH[path].value})."
        )


def _id(record: SfContact | SfLead | SfOpportunity | SfAccount) -> str:
    return record.id


def _account_recency(account: SfAccount | None) -> tuple[int, float]:
    if account is None:
        return (0, -_OLDEST.timestamp())
    return (-_day(account.last_activity_date), -_recency(account.last_modified_date))


def _primary_lead(leads: list[SfLead]) -> SfLead | None:
    return min(leads, key=lambda ld: (-_recency(ld.last_modified_date), ld.id), default=None)


def _unmatched(unmatched_external: Iterable[Participant], people: Iterable[Participant]) -> list[UnmatchedEmail]:
    found = [
        UnmatchedEmail(
            email=p.email,
            why="free_mail_domain" if is_free_mail(p.email.rpartition("@")[2]) else "no_record",
        )
        for p in unmatched_external
        if p.email
    ]
    found.extend(UnmatchedEmail(email="", why="no_email") for p in people if p.email is None)
    return found


def match_meeting(meeting: MeetingSummary, org: OrgConfig, snapshot: SalesforceSnapshot, now: datetime) -> Match:
    """Run the search ladder over what Salesforce returned for this meeting."""
    return _Ladder(meeting, org, snapshot, now).run()
