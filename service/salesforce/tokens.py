"""OAuth tokens: encrypted at rest, plaintext only in this worker's memory, refreshed once per org."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from service.crypto import TokenCipher
from service.domain.messages import OrgConfig
from service.errors import ConnectionExpired, SyncError


class StoredTokens(BaseModel):
    """An org's current tokens as the pipeline persists them (Fernet ciphertexts, never plaintext)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    access_token: str | None = None
    refresh_token: str
    instance_url: str
    source_config_updated_at: AwareDatetime  # OrgConfig.updated_at these tokens descend from
    # Which connection they descend from: a newer config for the same connection (a settings change)
    # keeps them. Without that, an org with refresh-token rotation would lose its only valid token.
    connection_fingerprint: str = ""


def connection_fingerprint(org: OrgConfig, cipher: TokenCipher) -> str:
    """Identifies a connection (hosts + the refresh token it started with) without revealing the token."""
    connection = org.salesforce
    if connection is None:
        return ""
    original = cipher.decrypt(connection.refresh_token)
    material = f"{connection.login_url}|{connection.instance_url}|{original}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


@dataclass
class OrgSession:
    """One org's live credentials in this worker. `generation` grows with every refresh."""

    org_id: str
    source_config_updated_at: datetime
    connection_fingerprint: str
    instance_url: str
    login_url: str
    refresh_token: str  # plaintext, memory only
    access_token: str | None  # plaintext, memory only
    generation: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    refresh_attempts: int = 0  # token requests started, so waiters can tell a refresh happened meanwhile
    # The last refresh's failure and the generation it failed at; shared with the callers that waited.
    refresh_failure: tuple[int, SyncError] | None = None


def session_from(org: OrgConfig, tokens: StoredTokens | None, cipher: TokenCipher) -> OrgSession:
    """Credentials for `org`: the passed tokens when they descend from this config or a newer one."""
    connection = org.salesforce
    if connection is None:
        raise ConnectionExpired("Salesforce is not connected for this organization")
    fingerprint = connection_fingerprint(org, cipher)
    same_connection = tokens is not None and tokens.connection_fingerprint == fingerprint
    if tokens is not None and (tokens.source_config_updated_at >= org.updated_at or same_connection):
        return OrgSession(
            org_id=org.org_id,
            source_config_updated_at=max(tokens.source_config_updated_at, org.updated_at),
            connection_fingerprint=fingerprint,
            instance_url=tokens.instance_url,
            login_url=connection.login_url,
            refresh_token=cipher.decrypt(tokens.refresh_token),
            access_token=cipher.decrypt(tokens.access_token) if tokens.access_token else None,
        )
    return OrgSession(
        org_id=org.org_id,
        source_config_updated_at=org.updated_at,
        connection_fingerprint=fingerprint,
        instance_url=connection.instance_url,
        login_url=connection.login_url,
        refresh_token=cipher.decrypt(connection.refresh_token),
        access_token=cipher.decrypt(connection.access_token) if connection.access_token else None,
    )


def stored(session: OrgSession, cipher: TokenCipher) -> StoredTokens:
    return StoredTokens(
        access_token=cipher.encrypt(session.access_token) if session.access_token else None,
        refresh_token=cipher.encrypt(session.refresh_token),
        instance_url=session.instance_url,
        source_config_updated_at=session.source_config_updated_at,
        connection_fingerprint=session.connection_fingerprint,
    )
