from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.crypto import TokenCipher, new_key
from service.domain.messages import OrgConfig, SalesforceConnection
from service.salesforce.tokens import StoredTokens, connection_fingerprint, session_from, stored

CIPHER = TokenCipher([new_key()])
T0 = datetime(2026, 6, 1, tzinfo=UTC)


def config(
    updated_at: datetime, *, refresh: str = "config-refresh", instance: str = "https://a.my.salesforce.com"
) -> OrgConfig:
    return OrgConfig(
        org_id="o",
        salesforce=SalesforceConnection(instance_url=instance, refresh_token=CIPHER.encrypt(refresh)),
        updated_at=updated_at,
    )


def tokens(source: datetime, *, fingerprint: str = "") -> StoredTokens:
    return StoredTokens(
        access_token=CIPHER.encrypt("at"),
        refresh_token=CIPHER.encrypt("rotated-refresh"),
        instance_url="https://b.my.salesforce.com",
        source_config_updated_at=source,
        connection_fingerprint=fingerprint,
    )


def test_stored_tokens_win_when_they_descend_from_this_config_or_a_newer_one() -> None:
    assert session_from(config(T0), tokens(T0), CIPHER).refresh_token == "rotated-refresh"
    older_config = session_from(config(T0 - timedelta(seconds=1)), tokens(T0), CIPHER)
    assert older_config.refresh_token == "rotated-refresh" and older_config.access_token == "at"
    # From an older config and no known connection (tokens stored before fingerprints existed): the
    # newer config is a reconnect as far as anyone can tell, so its tokens are used.
    newer = session_from(config(T0 + timedelta(seconds=1)), tokens(T0), CIPHER)
    assert newer.refresh_token == "config-refresh" and newer.access_token is None
    assert newer.source_config_updated_at == T0 + timedelta(seconds=1)


def test_a_newer_config_for_the_same_connection_keeps_rotated_tokens() -> None:
    fingerprint = connection_fingerprint(config(T0), CIPHER)
    settings_change = config(T0 + timedelta(hours=1))  # same hosts, same original refresh token
    session = session_from(settings_change, tokens(T0, fingerprint=fingerprint), CIPHER)
    assert session.refresh_token == "rotated-refresh" and session.access_token == "at"
    assert session.instance_url == "https://b.my.salesforce.com"
    assert session.source_config_updated_at == T0 + timedelta(hours=1)  # now descends from the newer config


def test_a_new_connection_replaces_stored_tokens() -> None:
    fingerprint = connection_fingerprint(config(T0), CIPHER)
    later = T0 + timedelta(hours=1)
    for reconnect in (
        config(later, refresh="reconnected-refresh"),
        config(later, instance="https://c.my.salesforce.com"),
    ):
        session = session_from(reconnect, tokens(T0, fingerprint=fingerprint), CIPHER)
        assert session.refresh_token == reconnect_refresh(reconnect) and session.access_token is None
        assert session.instance_url == reconnect.salesforce.instance_url  # type: ignore[union-attr]
        assert session.connection_fingerprint != fingerprint


def reconnect_refresh(org: OrgConfig) -> str:
    assert org.salesforce is not None
    return CIPHER.decrypt(org.salesforce.refresh_token)


def test_stored_tokens_are_ciphertext() -> None:
    session = session_from(config(T0), tokens(T0), CIPHER)
    kept = stored(session, CIPHER)
    assert "rotated-refresh" not in kept.model_dump_json() and '"at"' not in kept.model_dump_json()
    assert CIPHER.decrypt(kept.refresh_token) == "rotated-refresh"
