"""`POST composite` (references, allOrNone) and sObject Collections (`composite/sobjects`)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .dml import MultipleMatchesError, Writer
from .errors import (
    ALL_OR_NONE_ROLLED_BACK,
    PROCESSING_HALTED_ROLLBACK,
    SfError,
    bad_request,
)
from .ids import InvalidIdError, normalize_id
from .rest import ApiRequest, ApiResponse, Context, dispatch

MAX_SUBREQUESTS = 25
MAX_QUERY_OR_COLLECTION = 5
MAX_COLLECTION_RECORDS = 200
_REF_ID = re.compile(r"^[A-Za-z0-9_]+$")
_REF = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")
_URL = re.compile(r"^/services/data/(v\d+\.\d)/(.*)$")


def _halted(message: str = PROCESSING_HALTED_ROLLBACK) -> list[dict[str, str]]:
    return [{"errorCode": "PROCESSING_HALTED", "message": message}]


def _envelope_error(message: str, code: str = "INVALID_API_INPUT") -> SfError:
    return bad_request(code, message)


def _validate_envelope(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict) or not isinstance(body.get("compositeRequest"), list):
        raise _envelope_error("compositeRequest: required field is missing")
    subs = body["compositeRequest"]
    if not subs:
        raise _envelope_error("compositeRequest: at least one subrequest is required")
    if len(subs) > MAX_SUBREQUESTS:
        raise _envelope_error(f"Composite API only supports up to {MAX_SUBREQUESTS} subrequests", "LIMIT_EXCEEDED")
    seen: set[str] = set()
    heavy = 0
    for sub in subs:
        if not isinstance(sub, dict):
            raise _envelope_error("compositeRequest: each subrequest must be an object")
        for key in ("method", "url", "referenceId"):
            if not isinstance(sub.get(key), str) or not sub[key]:
                raise _envelope_error(f"compositeRequest: {key} is required in every subrequest")
        ref = sub["referenceId"]
        if not _REF_ID.match(ref):
            raise _envelope_error(f"Invalid referenceId: {ref}. Use letters, digits and underscores only.")
        if ref in seen:
            raise _envelope_error(f"Duplicate referenceId provided in the request: {ref}")
        seen.add(ref)
        if sub["method"].upper() not in {"GET", "POST", "PATCH", "DELETE", "PUT", "HEAD"}:
            raise _envelope_error(f"Invalid HTTP method: {sub['method']}")
        m = _URL.match(_decoded_path(urlsplit(sub["url"]).path))
        tail = m.group(2) if m else ""
        if tail.startswith(("query", "queryAll", "composite/sobjects")):
            heavy += 1
    if heavy > MAX_QUERY_OR_COLLECTION:
        raise _envelope_error(
            f"Composite API only supports up to {MAX_QUERY_OR_COLLECTION} query or sObject Collections subrequests",
            "LIMIT_EXCEEDED",
        )
    return subs


class _UnresolvedError(Exception):
    def __init__(self, expr: str, ref: str) -> None:
        super().__init__(expr)
        self.expr = expr
        self.ref = ref


def _lookup(results: dict[str, Any], ref: str, path: str, expr: str) -> Any:
    if ref not in results:
        raise _UnresolvedError(expr, ref)
    value = results[ref]
    for step in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", path):
        key, index = step
        try:
            value = value[int(index)] if index else value[key]
        except (KeyError, IndexError, TypeError):
            raise _UnresolvedError(expr, ref) from None
    if value is None:
        raise _UnresolvedError(expr, ref)
    return value


def _resolve(value: Any, results: dict[str, Any]) -> Any:
    if isinstance(value, str):
        whole = _REF.fullmatch(value)
        if whole:
            return _lookup(results, whole.group(1), whole.group(2), value)
        return _REF.sub(lambda m: str(_lookup(results, m.group(1), m.group(2), m.group(0))), value)
    if isinstance(value, list):
        return [_resolve(v, results) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, results) for k, v in value.items()}
    return value


def composite(ctx: Context, req: ApiRequest) -> ApiResponse:
    """Run the subrequests in order; allOrNone rolls all back at the first failure."""
    subs = _validate_envelope(req.body)
    all_or_none = bool(req.body.get("allOrNone", False))
    store = ctx.org.store
    savepoint = store.savepoint()
    sub_ctx = Context(
        org=ctx.org,
        prefix=ctx.prefix,
        registry=ctx.registry,
        in_composite=True,
        all_or_none_override=all_or_none,
    )
    results: dict[str, Any] = {}  # referenceId -> body of successful subrequests
    out: list[dict[str, Any]] = []
    failed_at: int | None = None
    for index, sub in enumerate(subs):
        ref_id = sub["referenceId"]
        try:
            url = _resolve(sub["url"], results)
            body = _resolve(sub.get("body"), results)
        except _UnresolvedError as err:
            message = (
                f"Invalid reference specified. No value for {err.expr[2:-1]} found in {err.ref}. "
                f"Provided {err.expr} as referenceId."
            )
            out.append(_entry(ref_id, 400, _halted(message), {}))
            if all_or_none:
                failed_at = index
                break
            continue
        response = _run_sub(sub_ctx, sub, url, body)
        out.append(_entry(ref_id, response.status, response.body, response.headers))
        if response.status >= 400:
            if all_or_none:
                failed_at = index
                break
            continue
        results[ref_id] = response.body
    if failed_at is not None:
        store.rollback(savepoint)
        halted = _halted()
        final = []
        for index, sub in enumerate(subs):
            if index == failed_at:
                final.append(out[index])
            else:
                final.append(_entry(sub["referenceId"], 400, halted, {}))
        out = final
    return ApiResponse(200, {"compositeResponse": out}, subrequests=len(subs))


def _entry(ref_id: str, status: int, body: Any, headers: dict[str, str]) -> dict[str, Any]:
    return {"body": body, "httpHeaders": dict(headers), "httpStatusCode": status, "referenceId": ref_id}


def _decoded_path(path: str) -> str:
    """The path with each segment percent-decoded once, as aiohttp does for a top-level request.

    `+` stays a literal plus in a path (only the query string reads it as a space); a segment whose
    escapes are not UTF-8 is kept as sent.
    """
    return "/".join(_decoded_segment(segment) for segment in path.split("/"))


def _decoded_segment(segment: str) -> str:
    try:
        return unquote(segment, errors="strict")
    except UnicodeDecodeError:
        return segment


def _run_sub(ctx: Context, sub: dict[str, Any], url: str, body: Any) -> ApiResponse:
    parts = urlsplit(str(url))
    path = _decoded_path(parts.path)
    m = _URL.match(path)
    if not m:
        return ApiResponse(404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])
    headers = {str(k).lower(): str(v) for k, v in (sub.get("httpHeaders") or {}).items()}
    request = ApiRequest(
        method=sub["method"].upper(),
        tail=m.group(2).strip("/"),
        params=dict(parse_qsl(parts.query, keep_blank_values=True)),
        body=body,
        headers=headers,
    )
    sub_ctx = Context(
        org=ctx.org,
        prefix=f"/services/data/{m.group(1)}",
        registry=ctx.registry,
        in_composite=True,
        all_or_none_override=ctx.all_or_none_override,
    )
    return dispatch(sub_ctx, request)


# --- sObject Collections ------------------------------------------------------------------------
def collections(ctx: Context, req: ApiRequest, rest: list[str]) -> ApiResponse:
    method = req.method.upper()
    if method == "DELETE" and not rest:
        ids = [i for i in req.params.get("ids", "").split(",") if i]
        all_or_none = req.params.get("allOrNone", "false").lower() == "true"
        return _run_records(ctx, [{"Id": i} for i in ids], all_or_none, "delete", None)
    if method not in {"POST", "PATCH"} or (rest and (method != "PATCH" or len(rest) != 2)) or len(rest) == 1:
        raise SfError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed. Allowed are POST,PATCH,DELETE")
    body = req.body
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise bad_request("JSON_PARSER_ERROR", "records: required field is missing")
    records = body["records"]
    if len(records) > MAX_COLLECTION_RECORDS:
        raise bad_request(
            "EXCEEDED_ID_LIMIT",
            f"record limit reached. cannot submit more than {MAX_COLLECTION_RECORDS} records into this call",
        )
    all_or_none = bool(body.get("allOrNone", False))
    if method == "POST":
        return _run_records(ctx, records, all_or_none, "create", None)
    if rest:
        return _run_records(ctx, records, all_or_none, "upsert", (rest[0], rest[1]))
    return _run_records(ctx, records, all_or_none, "update", None)


def _run_records(
    ctx: Context, records: list[Any], all_or_none: bool, op: str, upsert_key: tuple[str, str] | None
) -> ApiResponse:
    all_or_none = all_or_none or ctx.all_or_none_override
    store = ctx.org.store
    writer = Writer(ctx.org)
    savepoint = store.savepoint()
    results: list[dict[str, Any]] = []
    failed = False
    for raw in records:
        record_save = store.savepoint()
        try:
            result = _one(writer, raw, op, upsert_key)
        except MultipleMatchesError as err:
            store.rollback(record_save)
            result = {"id": None, "success": False, "errors": [_multi(err)]}
        except SfError as err:
            store.rollback(record_save)
            result = {"id": None, "success": False, "errors": [err.collection_error()]}
        if not result["success"]:
            failed = True
        results.append(result)
    status = 200
    if failed and all_or_none:
        store.rollback(savepoint)
        rolled = {
            "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
            "message": ALL_OR_NONE_ROLLED_BACK,
            "fields": [],
        }
        for result in results:
            if result["success"]:
                result.update({"id": None, "success": False, "errors": [rolled]})
                result.pop("created", None)
        if ctx.in_composite:
            status = 400  # so the enclosing allOrNone composite fails at this subrequest
    return ApiResponse(status, results)


def _multi(err: MultipleMatchesError) -> dict[str, Any]:
    return {
        "statusCode": "DUPLICATE_EXTERNAL_ID",
        "message": "External ID matched more than one record",
        "fields": [],
    }


def _one(writer: Writer, raw: Any, op: str, upsert_key: tuple[str, str] | None) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise bad_request("JSON_PARSER_ERROR", "each record must be a JSON object")
    if op == "delete":
        rid = raw["Id"]
        sobject = writer.org.store.type_of(_norm(rid))
        if sobject is None:
            raise bad_request(
                "ENTITY_IS_DELETED" if writer.org.store.deleted(_norm(rid)) else "INVALID_CROSS_REFERENCE_KEY",
                "invalid cross reference id",
            )
        writer.delete(sobject, rid)
        return {"id": _norm(rid), "success": True, "errors": []}
    attributes = raw.get("attributes") or {}
    sobject = attributes.get("type") if isinstance(attributes, dict) else None
    if upsert_key is not None:
        sobject = sobject or upsert_key[0]
    if not sobject:
        raise bad_request("INVALID_TYPE", "Must send a concrete entity type.")
    body = {k: v for k, v in raw.items() if k != "attributes"}
    if op == "create":
        if any(k.lower() == "id" for k in body):
            raise bad_request("INVALID_FIELD", "Id: cannot specify Id in an insert call", ["Id"])
        return {"id": writer.create(sobject, body), "success": True, "errors": []}
    if op == "update":
        rid = next((v for k, v in body.items() if k.lower() == "id"), None)
        if not rid:
            raise bad_request("MISSING_ARGUMENT", "Id not specified in an update call", [])
        writer.update(sobject, str(rid), {k: v for k, v in body.items() if k.lower() != "id"})
        return {"id": _norm(str(rid)), "success": True, "errors": []}
    assert upsert_key is not None
    ext_field = upsert_key[1]
    value = next((v for k, v in body.items() if k.lower() == ext_field.lower()), None)
    if value is None:
        raise bad_request("MISSING_ARGUMENT", f"{ext_field} not specified", [ext_field])
    rid, created = writer.upsert(sobject, ext_field, str(value), body)
    return {"id": rid, "success": True, "errors": [], "created": created}


def _norm(rid: str) -> str:
    try:
        return normalize_id(rid)
    except InvalidIdError:
        raise bad_request("MALFORMED_ID", f"malformed id {rid}", []) from None
