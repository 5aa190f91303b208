"""Emails, domains and Account websites, compared the way Salesforce and users compare them.

Salesforce compares emails case-insensitively, so we do too: an email is trimmed and lower-cased
once, here, and every other module works on that form.
"""

from __future__ import annotations

from collections.abc import Iterable

# Providers whose domain says nothing about a person's company. Exact domains, plus providers that
# exist under many country suffixes (hotmail.co.uk, yahoo.fr, gmx.de...), listed by their first label.
FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "passport.com",
        "ymail.com",
        "rocketmail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "aim.com",
        "proton.me",
        "protonmail.com",
        "protonmail.ch",
        "pm.me",
        "tutanota.com",
        "tuta.io",
        "web.de",
        "mail.com",
        "email.com",
        "zoho.com",
        "zohomail.com",
        "qq.com",
        "163.com",
        "126.com",
        "yeah.net",
        "sina.com",
        "naver.com",
        "daum.net",
        "hanmail.net",
        "mail.ru",
        "inbox.ru",
        "list.ru",
        "bk.ru",
        "rambler.ru",
        "seznam.cz",
        "wp.pl",
        "o2.pl",
        "interia.pl",
        "libero.it",
        "virgilio.it",
        "orange.fr",
        "wanadoo.fr",
        "laposte.net",
        "free.fr",
        "sfr.fr",
        "t-online.de",
        "freenet.de",
        "comcast.net",
        "verizon.net",
        "att.net",
        "sbcglobal.net",
        "bellsouth.net",
        "cox.net",
        "earthlink.net",
        "btinternet.com",
        "sky.com",
        "fastmail.com",
        "fastmail.fm",
        "hushmail.com",
        "gmx.com",
        "gmx.net",
        "rediffmail.com",
        "uol.com.br",
        "bol.com.br",
        "terra.com.br",
    }
)
FREE_MAIL_PROVIDERS_ANY_SUFFIX: frozenset[str] = frozenset(
    {"hotmail", "outlook", "live", "yahoo", "gmx", "yandex", "windowslive"}
)


def normalize_email(raw: str | None) -> str | None:
    """The comparable form of an email (trimmed, lower case), or None when it is not an email."""
    if raw is None:
        return None
    email = raw.strip().lower()
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in email):
        return None
    domain = domain.rstrip(".")
    if not domain:
        return None
    return f"{local}@{domain}"


def email_domain(email: str) -> str:
    """The domain of a normalised email (the part after the last @)."""
    return email.rpartition("@")[2]


def email_local_part(email: str) -> str:
    return email.rpartition("@")[0]


def normalize_domain(raw: str) -> str:
    """A domain as configured by a user (" @Acme.COM. " → "acme.com")."""
    return raw.strip().lower().lstrip("@").rstrip(".")


def is_same_or_subdomain(domain: str, parent: str) -> bool:
    """True when `domain` is `parent` or lies under it by whole labels (eu.acme.com under acme.com)."""
    if not domain or not parent:
        return False
    return domain == parent or domain.endswith("." + parent)


def is_verified_domain(domain: str, verified_domains: Iterable[str]) -> bool:
    """True when the domain is one of the org's verified domains or a subdomain of one."""
    return any(is_same_or_subdomain(domain, normalize_domain(v)) for v in verified_domains if v.strip())


def _looks_like_public_suffix(labels: list[str]) -> bool:
    # "fr", "co.uk", "com.br": one or two short labels after the provider's name.
    return 1 <= len(labels) <= 2 and all(0 < len(label) <= 3 for label in labels)


# Second-level labels under which country registries sell names (acme.co.uk, acme.com.au, acme.co.jp):
# a small stand-in for the Public Suffix List. `_looks_like_public_suffix` would not do here: it takes
# ibm.com or hp.com for a suffix.
REGISTRY_SECOND_LEVEL_LABELS: frozenset[str] = frozenset(
    {"ac", "co", "com", "edu", "gen", "go", "gob", "gov", "ltd", "mil", "ne", "net", "nom", "or", "org", "plc", "sch"}
)


def registrable_domain(domain: str) -> str:
    """The name a company registered: eu.techcorp.com → techcorp.com, uk.acme.co.uk → acme.co.uk."""
    labels = domain.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in REGISTRY_SECOND_LEVEL_LABELS:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def company_domains(domain: str) -> list[str]:
    """The domain and each parent down to the registrable one, never a public suffix like co.uk.

    "a.eu.techcorp.com" → ["a.eu.techcorp.com", "eu.techcorp.com", "techcorp.com"].
    """
    floor = registrable_domain(domain)
    found = [domain]
    current = domain
    while current != floor and is_same_or_subdomain(current, floor):
        current = current.partition(".")[2]
        found.append(current)
    return found


def is_free_mail(domain: str) -> bool:
    """True for webmail providers (gmail.com, hotmail.co.uk...): their domain names no company."""
    if domain in FREE_MAIL_DOMAINS:
        return True
    first, _, rest = domain.partition(".")
    return first in FREE_MAIL_PROVIDERS_ANY_SUFFIX and _looks_like_public_suffix(rest.split("."))


def website_host(website: str | None) -> str | None:
    """The host an Account's Website names, without scheme, `www.`, port, path or case.

    "https://WWW.TechCorp.com:443/about?x=1" → "techcorp.com"; None when nothing host-like is left.
    """
    if website is None:
        return None
    text = website.strip().lower()
    if "://" in text:
        text = text.split("://", 1)[1]
    elif text.startswith("//"):
        text = text[2:]
    for separator in ("/", "?", "#", "\\"):
        text = text.split(separator, 1)[0]
    text = text.rpartition("@")[2]  # user:password@host
    text = text.split(":", 1)[0].strip().rstrip(".")
    if text.startswith("www."):
        text = text[4:]
    if "." not in text or any(c.isspace() for c in text):
        return None
    return text


def domain_matches_website(domain: str, website: str | None) -> bool:
    """True when an email domain belongs to the Account's Website: the same host or a subdomain of it.

    `notechcorp.com` does not match `techcorp.com`: hosts are compared by whole labels.
    """
    host = website_host(website)
    return host is not None and is_same_or_subdomain(domain, host)
