"""SOQL errors: Salesforce's error codes and message texts."""

from __future__ import annotations

from sfsim.errors import SfError

MAX_STATEMENT = 100_000
MAX_STRING_LITERAL = 4_000


class SoqlError(SfError):
    """A refused query: HTTP 400 with `error_code` (MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE...)."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(400, error_code, message)

    def __reduce__(self) -> tuple[type[SoqlError], tuple[str, str]]:
        return (SoqlError, (self.error_code, self.message))


def located(text: str, row: int, col: int, message: str) -> str:
    """Salesforce's message shape: the query line, a caret, `ERROR at Row:r:Column:c`, the reason."""
    lines = text.split("\n")
    line = lines[row - 1] if 0 < row <= len(lines) else ""
    return f"\n{line}\n{' ' * (col - 1)}^\nERROR at Row:{row}:Column:{col}\n{message}"


def no_such_column(field: str, sobject: str) -> str:
    return (
        f"No such column '{field}' on entity '{sobject}'. If you are attempting to use a custom field, "
        "be sure to append the '__c' after the custom field name. Please reference your WSDL or the "
        "describe call for the appropriate names."
    )


def unsupported_type(sobject: str) -> str:
    return (
        f"sObject type '{sobject}' is not supported. If you are attempting to use a custom object, be "
        "sure to append the '__c' after the entity name. Please reference your WSDL or the describe call "
        "for the appropriate names."
    )


def unknown_relationship(name: str, where: str = "field path") -> str:
    return (
        f"Didn't understand relationship '{name}' in {where}. If you are attempting to use a custom "
        "relationship, be sure to append the '__r' after the custom relationship name. Please reference "
        "your WSDL or the describe call for the appropriate names."
    )
