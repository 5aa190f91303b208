"""`sfsync`: run the worker, publish org configs and meetings (what the demo and the tests use)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from service.config import Settings
from service.crypto import TokenCipher, new_key
from service.domain.messages import Crm, OrgConfig, SalesforceConnection, SyncSettings
from service.pipeline.topics import ensure_topics, publish


def build_org_config(args: argparse.Namespace, cipher: TokenCipher | None) -> OrgConfig:
    crm = None if args.crm == "none" else Crm(args.crm)
    connection = None
    if args.instance_url:
        if cipher is None or not args.refresh_token:
            raise SystemExit("--instance-url needs --refresh-token and SFSYNC_TOKEN_KEYS")
        connection = SalesforceConnection(
            instance_url=args.instance_url,
            login_url=args.login_url or args.instance_url,
            refresh_token=cipher.encrypt(args.refresh_token),
            access_token=cipher.encrypt(args.access_token) if args.access_token else None,
        )
    return OrgConfig(
        org_id=args.org_id,
        crm=crm,
        salesforce=connection,
        verified_domains=args.verified_domain or [],
        settings=SyncSettings.model_validate(json.loads(args.settings or "{}")),
        updated_at=datetime.now(UTC),
    )


def cmd_org_put(args: argparse.Namespace, settings: Settings) -> None:
    keys = settings.fernet_keys()
    config = build_org_config(args, TokenCipher(keys) if keys else None)
    ensure_topics(settings)
    publish(settings, settings.topic_org_configs, [(config.org_id.encode(), config.model_dump_json().encode())])
    print(f"published config of org {config.org_id} (crm={config.crm})")


def cmd_org_delete(args: argparse.Namespace, settings: Settings) -> None:
    ensure_topics(settings)
    publish(settings, settings.topic_org_configs, [(args.org_id.encode(), None)])
    print(f"published tombstone of org {args.org_id}")


def cmd_meeting_send(args: argparse.Namespace, settings: Settings) -> None:
    records: list[tuple[bytes, bytes | None]] = []
    for name in args.files:
        raw = Path(name).read_bytes()
        if args.raw:  # as-is, for malformed input: keyed by --key
            records.append(((args.key or "unknown").encode(), raw))
            continue
        doc = json.loads(raw)
        meetings = doc if isinstance(doc, list) else [doc]
        records.extend((str(m.get("org_id", "")).encode(), json.dumps(m).encode()) for m in meetings)
    ensure_topics(settings)
    publish(settings, settings.topic_meetings, records)
    print(f"published {len(records)} meeting message(s)")


def cmd_worker(args: argparse.Namespace, settings: Settings) -> None:
    from service.pipeline.worker import run_worker  # faust is heavy: import it only for the worker

    run_worker(settings)


def cmd_topics(args: argparse.Namespace, settings: Settings) -> None:
    created = ensure_topics(settings)
    print("created: " + (", ".join(created) or "nothing (all exist)"))


def cmd_keygen(args: argparse.Namespace, settings: Settings) -> None:
    print(new_key())


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sfsync", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("worker", help="run the sync worker").set_defaults(func=cmd_worker)
    sub.add_parser("topics", help="create the service's topics").set_defaults(func=cmd_topics)
    sub.add_parser("keygen", help="print a new Fernet key for SFSYNC_TOKEN_KEYS").set_defaults(func=cmd_keygen)

    org = sub.add_parser("org", help="org configs").add_subparsers(dest="org_command", required=True)
    put = org.add_parser("put", help="publish an org config (tokens are encrypted first)")
    put.add_argument("--org-id", required=True)
    put.add_argument("--crm", choices=["salesforce", "hubspot", "none"], default="salesforce")
    put.add_argument("--instance-url")
    put.add_argument("--login-url")
    put.add_argument("--refresh-token")
    put.add_argument("--access-token")
    put.add_argument("--verified-domain", action="append")
    put.add_argument("--settings", help='JSON, e.g. {"min_duration_minutes": 10}')
    put.set_defaults(func=cmd_org_put)
    delete = org.add_parser("delete", help="publish a tombstone for the org")
    delete.add_argument("--org-id", required=True)
    delete.set_defaults(func=cmd_org_delete)

    meeting = sub.add_parser("meeting", help="meetings").add_subparsers(dest="meeting_command", required=True)
    send = meeting.add_parser("send", help="publish meetings from JSON files (one meeting or a list)")
    send.add_argument("files", nargs="+")
    send.add_argument("--raw", action="store_true", help="send the bytes as they are (for bad input)")
    send.add_argument("--key", help="message key with --raw")
    send.set_defaults(func=cmd_meeting_send)
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    args.func(args, Settings())


if __name__ == "__main__":
    main(sys.argv[1:])
