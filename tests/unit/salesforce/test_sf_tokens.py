from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.crypto import TokenCipher, new_key
from service.domain.messages import OrgConfig, SalesforceConnection
from service.salesforce.tokens import StoredTokens, session_from, stored

CIPHER = TokenCipher([new_key()])
T0 = datetime(2026, 6, 1, tzinfo=UTC)


def config(updated_at: datetime) -> OrgConfig:
    return OrgConfig(
        org_id="o",
        salesforce=SalesforceConnection(
            instance_url="https://a.my.salesforce.com", refresh_token=CIPHER.encrypt("config-refresh")
        ),
        updated_at=updated_at,
    )


def tokens(source: datetime) -> StoredTokens:
    return StoredTokens(
        access_token=CIPHER.encrypt("at"),
        refresh_token=CIPHER.encrypt("rotated-refresh"),
        instance_url="https://b.my.salesforce.com",
        source_config_updated_at=source,
    )


def test_persisted_tokens_win_unless_a_newer_config_arrived() -> None:
    assert session_from(config(T0), tokens(T0), CIPHER).refresh_token == "rotated-refresh"
    newer = session_from(config(T0 + timedelta(seconds=1)), tokens(T0), CIPHER)
    assert newer.refresh_token == "config-refresh" and newer.access_token is None


def test_stored_tokens_are_ciphertext() -> None:
    session = session_from(config(T0), tokens(T0), CIPHER)
    kept = stored(session, CIPHER)
    assert "rotated-refresh" not in kept.model_dump_json() and '"at"' not in kept.model_dump_json()
    assert CIPHER.decrypt(kept.refresh_token) == "rotated-refresh"
