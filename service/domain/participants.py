"""The people of a meeting as the ladder sees them: the owner plus the participants, deduplicated."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from service.domain.addresses import email_domain, is_verified_domain, normalize_email
from service.domain.messages import MeetingSummary


@dataclass(frozen=True)
class Participant:
    email: str | None  # normalised (trimmed, lower case); None when the meeting had no usable email
    name: str | None
    is_owner: bool = False

    @property
    def domain(self) -> str | None:
        return email_domain(self.email) if self.email else None


def _better_name(current: str | None, candidate: str | None) -> str | None:
    # Deterministic whatever the order duplicates arrive in: the longest name, then the smallest.
    names = [n for n in (current, candidate) if n]
    if not names:
        return None
    return min(names, key=lambda n: (-len(n), n))


def meeting_participants(meeting: MeetingSummary) -> tuple[Participant, ...]:
    """The owner first, then the participants in the meeting's order, one entry per person.

    Emails are normalised; a person listed twice (or the owner listed again) collapses into one
    entry. People without an email are kept (one entry per distinct name) but can never match.
    """
    by_email: dict[str, Participant] = {}
    order: list[str] = []
    nameless_seen: set[str | None] = set()
    without_email: list[Participant] = []

    owner_email = normalize_email(meeting.owner.email)
    if owner_email is not None:
        by_email[owner_email] = Participant(owner_email, _clean(meeting.owner.name), is_owner=True)
        order.append(owner_email)

    for person in meeting.participants:
        email = normalize_email(person.email)
        name = _clean(person.name)
        if email is None:
            if name not in nameless_seen:
                nameless_seen.add(name)
                without_email.append(Participant(None, name))
            continue
        known = by_email.get(email)
        if known is None:
            by_email[email] = Participant(email, name)
            order.append(email)
        else:
            by_email[email] = Participant(email, _better_name(known.name, name), known.is_owner)
    return tuple(by_email[e] for e in order) + tuple(without_email)


def _clean(name: str | None) -> str | None:
    if name is None:
        return None
    cleaned = " ".join(name.split())
    return cleaned or None


def on_verified_domain(participant: Participant, verified_domains: Iterable[str]) -> bool:
    domain = participant.domain
    return domain is not None and is_verified_domain(domain, verified_domains)
