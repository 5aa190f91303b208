"""The aiohttp application: routing, bearer-token resolution, faults, limits accounting, wire shapes."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from . import admin, oauth
from .errors import SfError, TokenError
from .org import Org, Registry
from .rest import ApiRequest, ApiResponse, Context, dispatch, resource_of

API_VERSIONS = [f"{major}.0" for major in range(20, 67)]
_VERSION_RE = re.compile(r"^v(\d{2}\.\d)$")
REGISTRY_KEY = web.AppKey("registry", Registry)


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    if status == 204 or body is None:
        return web.Response(status=status, headers=headers)
    return web.Response(
        status=status,
        body=json.dumps(body, separators=(",", ":")).encode(),
        content_type="application/json",
        charset="UTF-8",
        headers=headers,
    )


def _error_response(err: SfError, org: Org | None = None) -> web.Response:
    headers = {"Sforce-Limit-Info": org.limit_header()} if org is not None else None
    return json_response(err.status, err.body(), headers)


async def token_endpoint(request: web.Request) -> web.Response:
    registry = request.app[REGISTRY_KEY]
    form = {k: str(v) for k, v in (await request.post()).items()}
    try:
        _, body = oauth.refresh(registry, form, request.headers.get("Authorization"))
    except TokenError as err:
        return json_response(err.status, {"error": err.error, "error_description": err.description})
    return json_response(200, body)


async def revoke_endpoint(request: web.Request) -> web.Response:
    registry = request.app[REGISTRY_KEY]
    form = await request.post()
    token = str(form.get("token") or request.query.get("token") or "")
    if not oauth.revoke_token(registry, token):
        return json_response(
            400, {"error": "unsupported_token_type", "error_description": "this token type is not supported"}
        )
    return web.Response(status=200)


async def versions(request: web.Request) -> web.Response:
    return json_response(200, [{"label": f"v{v}", "url": f"/services/data/v{v}", "version": v} for v in API_VERSIONS])


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() in {"bearer", "oauth"} and token.strip():
        return token.strip()
    return None


async def api_endpoint(request: web.Request) -> web.Response:
    registry = request.app[REGISTRY_KEY]
    version = request.match_info["version"]
    tail = request.match_info.get("tail", "").strip("/")
    if not _VERSION_RE.match(version):
        return json_response(404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])
    token = _bearer(request)
    try:
        org = registry.resolve(token or "")
    except SfError as err:
        return _error_response(err)
    prefix = f"/services/data/{version}"
    if tail == "" and request.method == "GET":
        # The resource directory is free: no counting, no limit header.
        return json_response(200, _directory(prefix))
    injected = await org.faults.before_call()
    if injected is not None:
        _log(org, request, injected.status, counted=False)
        return _error_response(injected, org)
    try:
        org.check_access()
    except SfError as err:
        _log(org, request, err.status, counted=False)
        return _error_response(err, org)
    resource = resource_of(request.method, tail)
    org.count_call(resource)
    raw = await request.read()
    body: Any = None
    if raw:
        try:
            body = json.loads(raw)
        except ValueError:
            err = SfError(400, "JSON_PARSER_ERROR", "Unexpected character: was expecting a JSON value")
            _log(org, request, 400, counted=True)
            return _error_response(err, org)
    api_request = ApiRequest(
        method=request.method,
        tail=tail,
        params=dict(request.query.items()),
        body=body,
        headers={k.lower(): v for k, v in request.headers.items()},
    )
    ctx = Context(org=org, prefix=prefix, registry=registry)
    response: ApiResponse = dispatch(ctx, api_request)
    headers = dict(response.headers)
    headers["Sforce-Limit-Info"] = org.limit_header()
    _log(org, request, response.status, counted=True, subrequests=response.subrequests)
    return json_response(response.status, response.body, headers)


def _directory(prefix: str) -> dict[str, str]:
    names = ["sobjects", "query", "queryAll", "composite", "limits"]
    return {name: f"{prefix}/{name}" for name in names}


def _log(org: Org, request: web.Request, status: int, *, counted: bool, subrequests: int = 0) -> None:
    entry: dict[str, Any] = {
        "method": request.method,
        "path": request.path,
        "status": status,
        "counted": counted,
    }
    if subrequests:
        entry["subrequests"] = subrequests
    org.stats.log.append(entry)


def build_app(registry: Registry | None = None) -> web.Application:
    """The simulator application over a registry of orgs (a fresh, empty one by default)."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[REGISTRY_KEY] = registry or Registry()
    app.router.add_post("/services/oauth2/token", token_endpoint)
    app.router.add_post("/services/oauth2/revoke", revoke_endpoint)
    app.router.add_get("/services/data", versions)
    app.router.add_get("/services/data/", versions)
    app.router.add_route("*", r"/services/data/{version}", api_endpoint)
    app.router.add_route("*", r"/services/data/{version}/{tail:.*}", api_endpoint)
    admin.add_routes(app, REGISTRY_KEY)
    return app
