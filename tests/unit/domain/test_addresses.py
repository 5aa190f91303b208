import pytest

from service.domain.addresses import (
    company_domains,
    domain_matches_website,
    email_domain,
    is_free_mail,
    is_verified_domain,
    normalize_email,
    website_host,
)


def test_emails_are_trimmed_and_compared_case_insensitively() -> None:
    assert normalize_email("  John.Doe@TechCorp.COM ") == "john.doe@techcorp.com"
    assert normalize_email("a@b.com.") == "a@b.com"


@pytest.mark.parametrize("raw", [None, "", "   ", "no-at-sign", "@x.com", "x@", "a b@x.com"])
def test_something_that_is_not_an_email_cannot_match(raw: str | None) -> None:
    assert normalize_email(raw) is None


def test_quote_in_email_is_kept_exactly() -> None:
    assert normalize_email("O'Brien@X.com") == "o'brien@x.com"
    assert email_domain("o'brien@x.com") == "x.com"


def test_verified_domain_and_its_subdomains_are_internal() -> None:
    assert is_verified_domain("icecubes.io", ["IceCubes.io"])
    assert is_verified_domain("eu.icecubes.io", ["icecubes.io"])
    assert not is_verified_domain("noticecubes.io", ["icecubes.io"])
    assert not is_verified_domain("icecubes.io.evil.com", ["icecubes.io"])
    assert not is_verified_domain("icecubes.io", [" "])


@pytest.mark.parametrize(
    "domain",
    [
        "gmail.com",
        "googlemail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "yahoo.fr",
        "yahoo.co.jp",
        "gmx.de",
        "yandex.ru",
        "icloud.com",
        "proton.me",
        "web.de",
        "qq.com",
        "163.com",
        "outlook.com",
        "live.com",
    ],
)
def test_free_mail_providers_are_recognised(domain: str) -> None:
    assert is_free_mail(domain)


@pytest.mark.parametrize("domain", ["techcorp.com", "yahoo-inc.com", "gmail.techcorp.com", "mygmail.com"])
def test_company_domains_are_not_free_mail(domain: str) -> None:
    assert not is_free_mail(domain)


@pytest.mark.parametrize(
    ("website", "host"),
    [
        ("www.techcorp.com", "techcorp.com"),
        ("https://WWW.TechCorp.com:443/about?x=1#top", "techcorp.com"),
        ("http://techcorp.com/", "techcorp.com"),
        ("techcorp.com", "techcorp.com"),
        ("//techcorp.com/x", "techcorp.com"),
        ("https://user:pw@shop.techcorp.com", "shop.techcorp.com"),
        ("  ", None),
        (None, None),
        ("n/a", None),
    ],
)
def test_website_is_reduced_to_its_host(website: str | None, host: str | None) -> None:
    assert website_host(website) == host


def test_www_techcorp_about_matches_john_at_techcorp() -> None:
    assert domain_matches_website(email_domain("john@techcorp.com"), "www.techcorp.com/about")


def test_notechcorp_does_not_match_techcorp() -> None:
    assert not domain_matches_website("notechcorp.com", "techcorp.com")
    assert not domain_matches_website("techcorp.com", "notechcorp.com")


def test_email_on_a_subdomain_matches_the_company_website() -> None:
    assert domain_matches_website("eu.techcorp.com", "https://techcorp.com")
    assert not domain_matches_website("techcorp.com", "https://eu.techcorp.com")


def test_company_domains_walk_up_to_the_registrable_domain_and_no_further() -> None:
    assert company_domains("a.eu.techcorp.com") == ["a.eu.techcorp.com", "eu.techcorp.com", "techcorp.com"]
    assert company_domains("techcorp.com") == ["techcorp.com"]
    assert company_domains("eu.acme.co.uk") == ["eu.acme.co.uk", "acme.co.uk"]  # never co.uk
    assert company_domains("shop.acme.com.br") == ["shop.acme.com.br", "acme.com.br"]
    assert company_domains("mail.ibm.com") == ["mail.ibm.com", "ibm.com"]  # short names are companies too
    assert company_domains("acme.io") == ["acme.io"]
