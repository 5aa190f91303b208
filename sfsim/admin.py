"""The test-harness admin API under `/__sim/`: orgs, seed data, stats, faults, clock, tokens.

It needs no token: it is the harness's control plane and must never be exposed beyond localhost.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .clock import format_datetime, parse_instant
from .dml import Writer
from .errors import SfError
from .org import Org, Registry
from .schema import FieldDef, Schema, SchemaError
from .store import Store
from .validation import to_json

# Parents before children so seed references resolve in order.
SEED_ORDER = (
    "User",
    "Account",
    "Contact",
    "Lead",
    "Opportunity",
    "OpportunityContactRole",
    "Event",
    "EventRelation",
    "Task",
    "Note",
)
_TYPE_ALIASES = {"text": "string", "checkbox": "boolean", "number": "double", "integer": "int"}
_SIM_ONLY_USER_KEYS = ("api_enabled",)


class AdminError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _custom_fields(doc: dict[str, Any]) -> dict[str, list[FieldDef]]:
    out: dict[str, list[FieldDef]] = {}
    for sobject, fields in (doc.get("custom_fields") or {}).items():
        defs = []
        for raw_spec in fields:
            spec = dict(raw_spec)
            spec["type"] = _TYPE_ALIASES.get(spec.get("type", "string"), spec.get("type", "string"))
            if "reference_to" in spec and isinstance(spec["reference_to"], list):
                spec["reference_to"] = tuple(spec["reference_to"])
            try:
                defs.append(FieldDef(**spec))
            except (TypeError, SchemaError) as err:
                raise AdminError(f"custom field {sobject}.{spec.get('name')}: {err}") from None
        out[sobject] = defs
    return out


def build_org(org_id: str, doc: dict[str, Any]) -> tuple[Org, dict[str, list[str]]]:
    """An org from its document, with its seed records; returns the org and the created ids by type."""
    custom = _custom_fields(doc)
    try:
        schema = Schema.default().with_custom_fields(custom) if custom else Schema.default()
    except SchemaError as err:
        raise AdminError(str(err)) from None
    store = Store(schema)
    try:
        org = Org(org_id, doc, store)
    except (TypeError, ValueError) as err:
        raise AdminError(f"org {org_id}: {err}") from None
    writer = Writer(org, seed=True)
    created: dict[str, list[str]] = {}
    seed = doc.get("records") or {}
    unknown = [t for t in seed if schema.get(t) is None]
    if unknown:
        raise AdminError(f"unknown sObject types in records: {unknown}")
    order = [t for t in SEED_ORDER if t in seed] + [t for t in seed if t not in SEED_ORDER]
    for sobject in order:
        for raw in seed[sobject]:
            body = dict(raw)
            sim_flags = {k: body.pop(k) for k in _SIM_ONLY_USER_KEYS if k in body}
            if sobject == "User":
                _user_defaults(body)
            try:
                record_id = writer.create(sobject, body)
            except SfError as err:
                raise AdminError(f"seed {sobject} {json.dumps(raw)[:200]}: {err.error_code}: {err.message}") from None
            if sim_flags.get("api_enabled") is False:
                org.api_disabled_users.add(record_id)
            created.setdefault(schema[sobject].name, []).append(record_id)
    store.commit()
    return org, created


def _user_defaults(body: dict[str, Any]) -> None:
    email = body.get("Email") or f"user{id(body)}@example.com"
    body.setdefault("Email", email)
    body.setdefault("Username", email)
    if not body.get("LastName"):
        body["LastName"] = email.split("@")[0]
    body.setdefault("Alias", email.split("@")[0][:8])


def _org(request: web.Request, key: web.AppKey[Registry]) -> Org:
    org = request.app[key].orgs.get(request.match_info["org_id"])
    if org is None:
        raise web.HTTPNotFound(
            text=json.dumps({"error": f"no org {request.match_info['org_id']}"}), content_type="application/json"
        )
    return org


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


def org_summary(registry: Registry, org: Org) -> dict[str, Any]:
    users = {u.get("Email"): u["Id"] for u in org.store.records("User")}
    connected = org.connected_user()
    return {
        "org_id": org.org_id,
        "sf_org_id": org.sf_id,
        "instance_url": registry.base_url,
        "edition": org.edition,
        "daily_api_limit": org.daily_limit(),
        "users": users,
        "integration_user_id": connected["Id"] if connected else None,
        "oauth": {
            "client_id": org.oauth.client_id,
            "refresh_token": org.oauth.refresh_token,
            "access_token": org.oauth.access_token,
        },
        "clock": org.clock.as_dict(),
        "faults": org.faults.as_dict(),
    }


def add_routes(app: web.Application, key: web.AppKey[Registry]) -> None:
    """Mount the admin API on `app`; `key` finds the registry."""

    async def put_org(request: web.Request) -> web.Response:
        registry = request.app[key]
        try:
            doc = await request.json()
        except ValueError:
            return _json({"error": "body must be JSON"}, 400)
        if not isinstance(doc, dict):
            return _json({"error": "body must be a JSON object"}, 400)
        try:
            org, created = build_org(request.match_info["org_id"], doc)
        except AdminError as err:
            return _json({"error": str(err)}, err.status)
        try:
            registry.put_org(org)
        except ValueError as err:
            return _json({"error": str(err)}, 409)
        body = org_summary(registry, org)
        body["records"] = created
        body.update(created)
        return _json(body)

    async def get_org(request: web.Request) -> web.Response:
        return _json(org_summary(request.app[key], _org(request, key)))

    async def delete_org(request: web.Request) -> web.Response:
        request.app[key].drop_org(request.match_info["org_id"])
        return web.Response(status=204)

    async def records(request: web.Request) -> web.Response:
        org = _org(request, key)
        obj = org.store.schema.get(request.match_info["sobject"])
        if obj is None:
            return _json({"error": f"unknown sObject {request.match_info['sobject']}"}, 404)
        prefix = "/services/data/v60.0"
        include_deleted = request.query.get("deleted", "false").lower() == "true"
        rows = [
            {"attributes": {"type": obj.name, "url": f"{prefix}/sobjects/{obj.name}/{r['Id']}"}, **to_json(obj, r)}
            for r in org.store.records(obj.name, include_deleted=include_deleted)
        ]
        return _json({"totalSize": len(rows), "done": True, "records": rows})

    async def stats(request: web.Request) -> web.Response:
        org = _org(request, key)
        body = org.stats.as_dict()
        body["daily_api_limit"] = org.daily_limit()
        body["api_usage_window"] = org.used_in_window()
        return _json(body)

    async def reset_stats(request: web.Request) -> web.Response:
        _org(request, key).reset_stats()
        return _json({"ok": True})

    async def faults(request: web.Request) -> web.Response:
        org = _org(request, key)
        try:
            org.faults.update(await request.json())
        except (ValueError, TypeError) as err:
            return _json({"error": str(err)}, 400)
        return _json(org.faults.as_dict())

    async def expire_tokens(request: web.Request) -> web.Response:
        org = _org(request, key)
        return _json({"expired": request.app[key].expire_tokens(org)})

    async def revoke(request: web.Request) -> web.Response:
        org = _org(request, key)
        body = await request.json() if request.can_read_body else {}
        token = (body or {}).get("refresh_token")
        return _json({"revoked": request.app[key].revoke(org, token)})

    async def clock(request: web.Request) -> web.Response:
        org = _org(request, key)
        body = await request.json()
        if "now" in body:
            org.clock.set(parse_instant(body["now"]))
        if "advance_s" in body:
            org.clock.advance(float(body["advance_s"]))
        return _json({"now": format_datetime(org.clock.now()), "fixed": org.clock.fixed is not None})

    async def mint_token(request: web.Request) -> web.Response:
        """A fresh access token without the OAuth dance (harness convenience; not counted)."""
        registry = request.app[key]
        org = _org(request, key)
        entry = registry.mint_access_token(org, org.oauth.refresh_token)
        return _json({"access_token": entry.token, "instance_url": registry.base_url})

    async def list_orgs(request: web.Request) -> web.Response:
        return _json({"orgs": sorted(request.app[key].orgs)})

    r = app.router
    r.add_get("/__sim/orgs", list_orgs)
    r.add_put("/__sim/orgs/{org_id}", put_org)
    r.add_get("/__sim/orgs/{org_id}", get_org)
    r.add_delete("/__sim/orgs/{org_id}", delete_org)
    r.add_get("/__sim/orgs/{org_id}/records/{sobject}", records)
    r.add_get("/__sim/orgs/{org_id}/stats", stats)
    r.add_post("/__sim/orgs/{org_id}/reset-stats", reset_stats)
    r.add_patch("/__sim/orgs/{org_id}/faults", faults)
    r.add_post("/__sim/orgs/{org_id}/expire-tokens", expire_tokens)
    r.add_post("/__sim/orgs/{org_id}/revoke", revoke)
    r.add_patch("/__sim/orgs/{org_id}/clock", clock)
    r.add_post("/__sim/orgs/{org_id}/token", mint_token)


def load_seed(registry: Registry, seed: dict[str, Any]) -> None:
    """Load `{"orgs": {org_id: org document}}` (the `--seed FILE` format)."""
    for org_id, doc in (seed.get("orgs") or {}).items():
        org, _ = build_org(org_id, doc)
        registry.put_org(org)
