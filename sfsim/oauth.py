"""The OAuth 2.0 token endpoint (refresh-token grant) in Salesforce's response shape."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from typing import Any

from .errors import TokenError
from .org import Org, Registry

_SCOPE = "refresh_token api id"


def _client_credentials(form: dict[str, str], authorization: str | None) -> tuple[str | None, str | None]:
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    if authorization and authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip()).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise TokenError("invalid_client", "invalid client credentials") from None
        basic_id, _, basic_secret = decoded.partition(":")
        client_id = client_id or basic_id
        client_secret = client_secret or basic_secret
    return client_id, client_secret


def signature(secret: str, identity_url: str, issued_at: str) -> str:
    """base64 HMAC-SHA256 of id + issued_at keyed with the consumer secret."""
    mac = hmac.new(secret.encode(), (identity_url + issued_at).encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def refresh(registry: Registry, form: dict[str, str], authorization: str | None) -> tuple[Org, dict[str, Any]]:
    """Handle `grant_type=refresh_token`; returns the org and the 200 body, or raises TokenError."""
    grant_type = form.get("grant_type")
    if grant_type != "refresh_token":
        raise TokenError("unsupported_grant_type", "grant type not supported")
    client_id, client_secret = _client_credentials(form, authorization)
    known_clients = {org.oauth.client_id for org in registry.orgs.values()}
    if not client_id or client_id not in known_clients:
        raise TokenError("invalid_client", "invalid client credentials")
    token = form.get("refresh_token", "")
    org = registry.refresh_tokens.get(token)
    if org is None:
        raise TokenError("invalid_grant", "expired access/refresh token")
    if client_id != org.oauth.client_id or (
        client_secret is not None and not hmac.compare_digest(client_secret, org.oauth.client_secret)
    ):
        raise TokenError("invalid_client", "invalid client credentials")
    org.stats.token_requests += 1
    user = org.connected_user()
    if user is None or user.get("IsActive", True) is False:
        raise TokenError("invalid_grant", "authentication failure")
    source_refresh = token
    new_refresh: str | None = None
    if org.oauth.rotate_refresh_tokens:
        new_refresh = f"5Aep{secrets.token_urlsafe(24)}"
        del registry.refresh_tokens[token]
        registry.refresh_tokens[new_refresh] = org
        org.oauth.refresh_token = new_refresh
        source_refresh = new_refresh
    entry = registry.mint_access_token(org, source_refresh)
    issued_at = str(int(entry.issued_at.timestamp() * 1000))
    identity = f"{registry.base_url}/id/{org.sf_id}/{user['Id']}"
    body: dict[str, Any] = {
        "access_token": entry.token,
        "signature": signature(org.oauth.client_secret, identity, issued_at),
        "scope": _SCOPE,
        "instance_url": registry.base_url,
        "id": identity,
        "token_type": "Bearer",
        "issued_at": issued_at,
    }
    if new_refresh is not None:
        body["refresh_token"] = new_refresh
    return org, body


def revoke_token(registry: Registry, token: str) -> bool:
    """`POST /services/oauth2/revoke`: a refresh token revokes its access tokens too."""
    org = registry.refresh_tokens.get(token)
    if org is not None:
        registry.revoke(org, token)
        return True
    return registry.access_tokens.pop(token, None) is not None
