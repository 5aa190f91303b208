"""REST resources under `/services/data/vNN.N/`, dispatched without aiohttp so composite can reuse them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .dml import MultipleMatchesError, Writer
from .errors import SfError, bad_request, not_found
from .ids import InvalidIdError, normalize_id
from .org import Org
from .query import run_query
from .validation import to_json

_ALLOWED = {
    "sobject": "GET,PATCH,DELETE,HEAD",
    "type": "GET,POST,HEAD",
}


@dataclass
class ApiRequest:
    method: str
    tail: str
    params: dict[str, str]
    body: Any
    headers: dict[str, str]  # lower-cased names


@dataclass
class ApiResponse:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    subrequests: int = 0


@dataclass
class Context:
    org: Org
    prefix: str  # "/services/data/v60.0"
    registry: Any = None
    in_composite: bool = False
    all_or_none_override: bool = False


def resource_of(method: str, tail: str) -> str:
    """The `by_resource` bucket of a path tail: `composite/sobjects`, `query`, `sobjects`, ..."""
    parts = [p for p in tail.split("/") if p]
    if not parts:
        return "/"
    if parts[0] == "composite" and len(parts) > 1:
        return f"composite/{parts[1]}"
    return parts[0]


def dispatch(ctx: Context, req: ApiRequest) -> ApiResponse:
    """Run one REST request against the org; a failure undoes that request's own writes."""
    store = ctx.org.store
    savepoint = store.savepoint()
    try:
        response = _route(ctx, req)
    except MultipleMatchesError as err:
        store.rollback(savepoint)
        response = ApiResponse(300, [f"{ctx.prefix}/sobjects/{_type_url(ctx, i)}" for i in err.ids])
    except SfError as err:
        store.rollback(savepoint)
        response = ApiResponse(err.status, err.body())
    if not ctx.in_composite:
        store.commit()
    return response


def _type_url(ctx: Context, record_id: str) -> str:
    return f"{ctx.org.store.type_of(record_id)}/{record_id}"


def _method_not_allowed(method: str, allowed: str) -> SfError:
    return SfError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed. Allowed are {allowed}")


def _route(ctx: Context, req: ApiRequest) -> ApiResponse:
    from . import composite  # composite dispatches back into this module

    parts = [p for p in req.tail.split("/") if p]
    if not parts:
        return ApiResponse(200, {})
    head, rest = parts[0], parts[1:]
    method = req.method.upper()
    if head in {"query", "queryAll"}:
        if method != "GET":
            raise _method_not_allowed(method, "GET,HEAD")
        return _query(ctx, req, rest, include_deleted=head == "queryAll")
    if head == "limits" and not rest:
        if method != "GET":
            raise _method_not_allowed(method, "GET,HEAD")
        return ApiResponse(200, limits_body(ctx.org))
    if head == "sobjects":
        return _sobjects(ctx, req, rest)
    if head == "composite":
        if not rest:
            if ctx.in_composite:
                raise bad_request("INVALID_API_INPUT", "composite requests can not be nested")
            if method != "POST":
                raise _method_not_allowed(method, "POST")
            return composite.composite(ctx, req)
        if rest[0] == "sobjects":
            return composite.collections(ctx, req, rest[1:])
    raise not_found()


# --- limits ----------------------------------------------------------------------------------
def limits_body(org: Org) -> dict[str, Any]:
    daily = org.daily_limit()
    used = org.used_in_window()

    def pair(maximum: int, remaining: int) -> dict[str, int]:
        return {"Max": maximum, "Remaining": remaining}

    return {
        "ConcurrentAsyncGetReportInstances": pair(200, 200),
        "ConcurrentSyncReportRuns": pair(20, 20),
        "DailyApiRequests": pair(daily, max(daily - used, 0)),
        "DailyAsyncApexExecutions": pair(250_000, 250_000),
        "DailyBulkApiBatches": pair(15_000, 15_000),
        "DailyBulkV2QueryJobs": pair(10_000, 10_000),
        "DataStorageMB": pair(1024, 1024),
        "FileStorageMB": pair(1024, 1024),
        "HourlyTimeBasedWorkflow": pair(1000, 1000),
        "SingleEmail": pair(5000, 5000),
    }


# --- query ------------------------------------------------------------------------------------
_BATCH_RE = re.compile(r"batchsize\s*=\s*(\d+)", re.IGNORECASE)


def _batch_size(headers: dict[str, str]) -> int:
    m = _BATCH_RE.search(headers.get("sforce-query-options", ""))
    if not m:
        return 2000
    return min(max(int(m.group(1)), 200), 2000)


def _query(ctx: Context, req: ApiRequest, rest: list[str], *, include_deleted: bool) -> ApiResponse:
    org = ctx.org
    if rest:
        locator, _, start_text = rest[0].partition("-")
        cursor = org.cursors.get(locator)
        if cursor is None or not start_text.isdigit():
            raise bad_request("INVALID_QUERY_LOCATOR", "invalid query locator")
        records, batch = cursor
        return ApiResponse(200, _page(ctx, locator=locator, records=records, start=int(start_text), batch=batch))
    text = req.params.get("q")
    if not text:
        raise bad_request("MALFORMED_QUERY", "q: query string is required")
    records, total = run_query(ctx, text, include_deleted=include_deleted)
    batch = _batch_size(req.headers)
    body = _page(ctx, locator=None, records=records, start=0, batch=batch, total=total)
    return ApiResponse(200, body)


def _weight(record: dict[str, Any]) -> int:
    weight = 1
    for value in record.values():
        if isinstance(value, dict) and isinstance(value.get("records"), list):
            weight += len(value["records"])
    return weight


def _page(
    ctx: Context,
    *,
    locator: str | None,
    records: list[dict[str, Any]],
    start: int,
    batch: int,
    total: int | None = None,
) -> dict[str, Any]:
    end, used = start, 0
    while end < len(records):
        w = _weight(records[end])
        if end > start and used + w > batch:
            break
        used += w
        end += 1
    body: dict[str, Any] = {
        "totalSize": len(records) if total is None else total,
        "done": end >= len(records),
    }
    if end < len(records):
        if locator is None:
            locator = ctx.org.new_cursor(records, batch)
        body["nextRecordsUrl"] = f"{ctx.prefix}/query/{locator}-{end}"
    body["records"] = records[start:end]
    if body["done"] and locator is not None:
        ctx.org.cursors.pop(locator, None)
    # Salesforce puts nextRecordsUrl after records only cosmetically; keep totalSize, done first.
    return body


# --- sobjects -----------------------------------------------------------------------------------
def _visible_object(ctx: Context, name: str) -> Any:
    obj = ctx.org.store.schema.get(name)
    if obj is None or not ctx.org.can_read(obj.name):
        raise not_found()
    return obj


def _record_body(ctx: Context, sobject: str, record: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"attributes": {"type": sobject, "url": f"{ctx.prefix}/sobjects/{sobject}/{record['Id']}"}}
    obj = ctx.org.store.schema.get(sobject)
    record = to_json(obj, record)
    if fields is None:
        out.update(record)
    else:
        for name in fields:
            f = obj.field(name.strip())
            if f is None:
                raise bad_request("INVALID_FIELD", f"No such column '{name.strip()}' on entity '{sobject}'.")
            out[f.name] = record.get(f.name)
    return out


def _describe_global(ctx: Context) -> dict[str, Any]:
    objects = []
    for obj in ctx.org.store.schema.objects:
        if not ctx.org.can_read(obj.name):
            continue
        writable = ctx.org.can_write(obj.name)
        objects.append(
            {
                "name": obj.name,
                "label": obj.label,
                "labelPlural": obj.label_plural,
                "keyPrefix": obj.key_prefix,
                "custom": False,
                "queryable": True,
                "retrieveable": True,
                "createable": writable,
                "updateable": writable,
                "deletable": writable,
                "urls": {
                    "sobject": f"{ctx.prefix}/sobjects/{obj.name}",
                    "describe": f"{ctx.prefix}/sobjects/{obj.name}/describe",
                    "rowTemplate": f"{ctx.prefix}/sobjects/{obj.name}/{{ID}}",
                },
            }
        )
    return {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": objects}


def _sobjects(ctx: Context, req: ApiRequest, rest: list[str]) -> ApiResponse:
    method = req.method.upper()
    writer = Writer(ctx.org)
    if not rest:
        if method != "GET":
            raise _method_not_allowed(method, "GET,HEAD")
        return ApiResponse(200, _describe_global(ctx))
    type_name = rest[0]
    schema = ctx.org.store.schema
    obj = schema.get(type_name)
    if obj is None:
        raise not_found()
    if len(rest) == 1:
        if method == "POST":
            body = _json_object(req.body)
            record_id = writer.create(obj.name, body)
            return ApiResponse(
                201,
                {"id": record_id, "success": True, "errors": []},
                {"Location": f"{ctx.prefix}/sobjects/{obj.name}/{record_id}"},
            )
        if method == "GET":
            _visible_object(ctx, obj.name)
            describe = _describe_global(ctx)
            summary = next(o for o in describe["sobjects"] if o["name"] == obj.name)
            return ApiResponse(200, {"objectDescribe": summary, "recentItems": []})
        raise _method_not_allowed(method, _ALLOWED["type"])
    if len(rest) == 2 and rest[1] == "describe":
        if method != "GET":
            raise _method_not_allowed(method, "GET,HEAD")
        _visible_object(ctx, obj.name)
        return ApiResponse(200, _describe(ctx, obj.name))
    if len(rest) == 2:
        record_id = rest[1]
        if method == "GET":
            _visible_object(ctx, obj.name)
            record = _get_record(ctx, obj.name, record_id)
            fields = req.params.get("fields")
            return ApiResponse(200, _record_body(ctx, obj.name, record, fields.split(",") if fields else None))
        if method == "PATCH":
            writer.update(obj.name, record_id, _json_object(req.body))
            return ApiResponse(204, None)
        if method == "DELETE":
            writer.delete(obj.name, record_id)
            return ApiResponse(204, None)
        raise _method_not_allowed(method, _ALLOWED["sobject"])
    if len(rest) == 3:
        ext_field, value = rest[1], rest[2]
        if method == "PATCH":
            update_only = req.params.get("updateOnly", "false").lower() == "true"
            record_id, created = writer.upsert(
                obj.name, ext_field, value, _json_object(req.body), update_only=update_only
            )
            return ApiResponse(
                201 if created else 200,
                {"id": record_id, "success": True, "errors": [], "created": created},
                {"Location": f"{ctx.prefix}/sobjects/{obj.name}/{record_id}"} if created else {},
            )
        if method == "GET":
            _visible_object(ctx, obj.name)
            f = obj.field(ext_field)
            if f is None or not (f.external_id or f.id_lookup):
                raise not_found(f"Provided external ID field does not exist or is not accessible: {ext_field}")
            matches = ctx.org.store.index_lookup(obj.name, f.name, value.lower()) or []
            if len(matches) > 1:
                raise MultipleMatchesError([m["Id"] for m in matches])
            if not matches:
                raise not_found()
            return ApiResponse(200, _record_body(ctx, obj.name, matches[0], None))
        raise _method_not_allowed(method, "GET,PATCH,DELETE,HEAD")
    raise not_found()


def _describe(ctx: Context, sobject: str) -> dict[str, Any]:
    body = ctx.org.store.schema.describe(sobject)
    for key, url in list(body.get("urls", {}).items()):
        body["urls"][key] = re.sub(r"^/services/data/v\d+\.\d", ctx.prefix, url)
    return body


def _get_record(ctx: Context, sobject: str, record_id: str) -> dict[str, Any]:
    try:
        rid = normalize_id(record_id)
    except InvalidIdError:
        raise not_found() from None
    record = ctx.org.store.get(rid)
    if record is None or ctx.org.store.type_of(rid) != sobject:
        raise not_found()
    return record


def _json_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request("JSON_PARSER_ERROR", "The request body must be a JSON object")
    return body
