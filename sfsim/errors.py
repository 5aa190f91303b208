"""Salesforce-shaped errors: an exception that knows its HTTP status and its error array."""

from __future__ import annotations

from typing import Any


class SfError(Exception):
    """A refusal the API reports as `[{"message", "errorCode", "fields"?}]` with an HTTP status."""

    def __init__(self, status: int, error_code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = fields

    def body(self) -> list[dict[str, Any]]:
        """The REST error array."""
        item: dict[str, Any] = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            item["fields"] = self.fields
        return [item]

    def collection_error(self) -> dict[str, Any]:
        """The per-record error of sObject Collections (`statusCode`, not `errorCode`)."""
        return {"statusCode": self.error_code, "message": self.message, "fields": self.fields or []}


def bad_request(code: str, message: str, fields: list[str] | None = None) -> SfError:
    return SfError(400, code, message, fields)


def not_found(message: str = "The requested resource does not exist") -> SfError:
    return SfError(404, "NOT_FOUND", message)


def invalid_session() -> SfError:
    return SfError(401, "INVALID_SESSION_ID", "Session expired or invalid")


def malformed_id(value: str, field: str | None = None) -> SfError:
    if field:
        return SfError(400, "MALFORMED_ID", f"{field}: id value of incorrect type: {value}", [field])
    return SfError(400, "MALFORMED_ID", f"malformed id {value}")


PROCESSING_HALTED_ROLLBACK = "The transaction was rolled back since another operation in the same transaction failed."
PROCESSING_HALTED_REFERENCE = "Invalid reference specified. No value for {ref} found in {ref_id}. Provided {expr}"
ALL_OR_NONE_ROLLED_BACK = (
    "Record rolled back because not all records were valid and the request was using AllOrNone header"
)


class TokenError(Exception):
    """An OAuth token endpoint refusal: 400 `{"error", "error_description"}`."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
