"""Per-query cost of the simulator's SOQL engine alone (parse + execute), 10,000 contacts.

    .venv/bin/python bench/soql_engine.py

The HTTP-level target is 1,500 indexed lookups/s on one core (bench/sfsim_queries.py); this shows how
much of that budget the engine itself takes.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sfsim.schema import Schema
from sfsim.soql import execute, quote
from sfsim.store import Store, next_id

N_CONTACTS = 10_000
NOW = datetime(2026, 3, 15, tzinfo=UTC)


def build_store() -> Store:
    store = Store(Schema.default())
    account = {"Id": next_id("Account"), "Name": "Acme", "Website": "acme.test", "IsDeleted": False}
    store.insert("Account", account)
    for i in range(N_CONTACTS):
        store.insert("Contact", {"Id": next_id("Contact"), "LastName": f"Person{i}",
                                 "Email": f"Person{i}@Example.test", "AccountId": account["Id"], "IsDeleted": False})
    store.commit()
    return store


def rate(store: Store, text_of, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        if len(execute(text_of(i), store, now=NOW)) != 1:
            raise SystemExit("lookup returned the wrong rows")
    return n / (time.perf_counter() - start)


def main() -> None:
    store = build_store()

    def distinct(i: int) -> str:
        email = quote(f"person{i % N_CONTACTS}@example.test")
        return f"SELECT Id, Email, AccountId, Account.Website FROM Contact WHERE Email = {email} LIMIT 1"

    print("command: .venv/bin/python bench/soql_engine.py")
    print(f"indexed email lookups/s: distinct texts (parse each) {rate(store, distinct, 5000):,.0f}, "
          f"repeated text (parse cached) {rate(store, lambda i: distinct(7), 5000):,.0f}")


if __name__ == "__main__":
    main()
