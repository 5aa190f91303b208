"""The Faust application: topics, tables and the four agents that move a meeting through.

    meetings.summaries.v1 ─┐ intake (decode, validate, re-key)         ┌─► crm.sync-results.v1
    crm.org-configs.v1 ────┼──────────────────────► sfsync-work ─► work ┼─► crm.sync-retry.v1 ─► retry ─┐
                           └─► DLQ + `rejected`          ▲              └─► ledger / org tables         │
                                                         └──────────────────────────────────────────────┘
Every agent runs with concurrency 1 (FAUST-NOTES pitfall 1); parallelism comes from the work agent
taking batches and syncing their meetings concurrently, one revision of a meeting at a time. No
exception leaves an agent (pitfall 2): a failure becomes a result, a DLQ record or a retry.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import faust
import structlog
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.config import Settings
from service.crypto import TokenCipher
from service.domain.ledger import LedgerEntry
from service.domain.messages import OrgConfig, Reason, RetryRequest, SyncResult, SyncStatus
from service.domain.reasons import message_for
from service.observability import metrics
from service.observability.logging import mask_email
from service.pipeline.codec import Rejection, decode_meeting, decode_org_config
from service.pipeline.partitioning import partition_for
from service.pipeline.results import result_id
from service.pipeline.state import OrgState
from service.pipeline.syncer import MeetingSyncer, Outcome
from service.pipeline.tables import ModelTable
from service.pipeline.work import WorkItem, WorkKind
from service.salesforce.client import SalesforceClient

log = structlog.get_logger(__name__)

LIVE_PATH, READY_PATH, METRICS_PATH = "/health/live", "/health/ready", "/metrics"
RAW: dict[str, Any] = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw", "value_serializer": "raw"}


def utcnow() -> datetime:
    return datetime.now(UTC)


class SyncApp:
    """Builds the Faust app and wires the syncer into it (the composition root of the worker)."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime] = utcnow) -> None:
        self.settings = settings
        self.clock = clock
        self.salesforce = SalesforceClient(settings, TokenCipher(settings.fernet_keys()))
        self._last_sweep = time.monotonic()
        self.syncer = MeetingSyncer(settings, self.salesforce, clock)
        self.app = self._build_app()
        n = settings.partitions
        app = self.app
        self.meetings_topic = app.topic(settings.topic_meetings, partitions=n, **RAW)
        self.configs_topic = app.topic(
            settings.topic_org_configs, partitions=n, compacting=True, deleting=False, **RAW
        )
        self.work_topic = app.topic(f"{settings.app_id}-work", partitions=n, internal=True, **RAW)
        self.retry_topic = app.topic(settings.topic_retry, partitions=n, **RAW)
        self.results_topic = app.topic(settings.topic_results, partitions=n, **RAW)
        self.dlq_topic = app.topic(settings.topic_dlq, partitions=n, **RAW)
        # str keys travel as JSON, bytes values raw: Faust derives the serializers from the types.
        table_args: dict[str, Any] = {"partitions": n, "key_type": str, "value_type": bytes}
        self.configs = ModelTable(app.Table("org-configs", **table_args), OrgConfig)
        self.states = ModelTable(app.Table("org-states", **table_args), OrgState)
        self.ledger = ModelTable(app.Table("ledger", **table_args), LedgerEntry)
        self.parked = ModelTable(app.Table("parked", **table_args), WorkItem)  # meeting_id -> newest parked
        app.agent(self.meetings_topic, name="intake-meetings")(self._intake_meetings)
        app.agent(self.configs_topic, name="intake-configs")(self._intake_configs)
        app.agent(self.retry_topic, name="retry")(self._retry)
        app.agent(self.work_topic, name="work")(self._work)
        page: Any = app.page  # typed for (view, request) handlers; ours are bound methods: (request)
        page(METRICS_PATH)(self._metrics_page)
        page(READY_PATH)(self._ready_page)
        page(LIVE_PATH)(self._live_page)

    def _build_app(self) -> faust.App:
        s = self.settings
        return faust.App(
            s.app_id,
            broker=[f"kafka://{host}" for host in s.bootstrap_servers.split(",")],
            store="memory://",
            autodiscover=False,
            processing_guarantee="at_least_once",
            topic_partitions=s.partitions,
            topic_replication_factor=s.replication_factor,
            topic_allow_declare=True,
            stream_wait_empty=False,  # pitfall 4: never hang on SIGTERM; redelivery covers the rest
            broker_session_timeout=s.broker_session_timeout_s,
            broker_heartbeat_interval=s.broker_heartbeat_interval_s,
            broker_commit_interval=s.commit_interval_s,
            consumer_auto_offset_reset="earliest",
            producer_linger=0.005,
            producer_max_request_size=s.max_message_bytes * 2,
            web_bind=s.web_host,
            web_host=s.web_host,
            web_port=s.web_port,
            web_in_thread=False,
            datadir=s.data_dir,
            table_standby_replicas=0,
            worker_redirect_stdouts=False,
        )

    # ------------------------------------------------------------------ intake

    async def _intake_meetings(self, stream: Any) -> None:
        async for event in stream.events():
            try:
                await self._take_meeting(event.message)
            except Exception:  # pitfall 2: log, DLQ, go on
                log.exception("intake_failed", topic=event.message.topic, offset=event.message.offset)
                await self._dead_letter(event.message, Rejection("(message)", "could not be processed"), "meetings")

    async def _take_meeting(self, message: Any) -> None:
        decoded = decode_meeting(message.value, max_bytes=self.settings.max_message_bytes)
        if isinstance(decoded, Rejection):
            await self._reject(message, decoded)
            return
        item = WorkItem(kind=WorkKind.MEETING, org_id=decoded.org_id, meeting=decoded)
        await self._send_work(item)

    async def _intake_configs(self, stream: Any) -> None:
        async for event in stream.events():
            message = event.message
            try:
                if message.value is None:  # tombstone: the org is gone
                    if message.key:
                        org_id = message.key.decode()
                        await self._send_work(WorkItem(kind=WorkKind.ORG_DELETED, org_id=org_id))
                    continue
                config = decode_org_config(message.value, max_bytes=self.settings.max_message_bytes)
                if isinstance(config, Rejection):
                    await self._dead_letter(message, config, "org-configs")
                    continue
                await self._send_work(WorkItem(kind=WorkKind.ORG_CONFIG, org_id=config.org_id, config=config))
            except Exception:
                log.exception("config_intake_failed", offset=message.offset)

    async def _reject(self, message: Any, rejection: Rejection) -> None:
        await self._dead_letter(message, rejection, "meetings")
        if not (rejection.org_id and rejection.meeting_id):
            return  # nobody to tell but the DLQ
        # Derived from the input's position and timestamp, so a replayed rejection is identical.
        moment = datetime.fromtimestamp(message.timestamp or 0, UTC)
        result = SyncResult(
            result_id=result_id("rejected", message.topic, message.partition, message.offset),
            org_id=rejection.org_id,
            meeting_id=rejection.meeting_id,
            revision=rejection.revision,
            source_event_id=rejection.event_id,
            status=SyncStatus.REJECTED,
            reason=Reason.INVALID_EVENT,
            message=message_for(Reason.INVALID_EVENT, rejection.text),
            processed_at=moment,
        )
        await self._publish(result)

    async def _dead_letter(self, message: Any, rejection: Rejection, source: str) -> None:
        metrics.DLQ.labels(source=source).inc()
        headers = [
            ("sfsync-error", rejection.text.encode()[:4000]),
            ("sfsync-error-field", rejection.field.encode()),
            ("sfsync-source-topic", str(message.topic).encode()),
            ("sfsync-source-partition", str(message.partition).encode()),
            ("sfsync-source-offset", str(message.offset).encode()),
        ]
        await self.dlq_topic.send(key=message.key, value=message.value, headers=headers)

    async def _send_work(self, item: WorkItem) -> None:
        await self.work_topic.send(
            key=item.org_id.encode(),
            value=item.model_dump_json().encode(),
            partition=partition_for(item.org_id, self.settings.partitions),
        )

    async def _publish(self, result: SyncResult) -> None:
        metrics.RESULTS.labels(status=result.status.value, reason=result.reason.value).inc()
        await self.results_topic.send(key=result.meeting_id.encode(), value=result.model_dump_json().encode())

    # ------------------------------------------------------------------ retry

    async def _retry(self, stream: Any) -> None:
        """Holds deferred work until it is due, then hands it back to the work topic.

        It sleeps at most `retry_max_hold_s` on one message; one not due by then goes back to the
        end of the retry topic, so a long delay never blocks the ones behind it for long.
        """
        async for event in stream.events():
            try:
                request = RetryRequest.model_validate_json(event.message.value)
                wait = (request.not_before - self.clock()).total_seconds()
                if wait > 0:
                    await asyncio.sleep(min(wait, self.settings.retry_max_hold_s))
                if request.not_before > self.clock():
                    await self._send_retry(request)
                    continue
                kind = WorkKind.PARK_EXPIRY if request.kind == "park_expiry" else WorkKind.MEETING
                await self._send_work(
                    WorkItem(
                        kind=kind, org_id=request.org_id, meeting=request.meeting, attempt=request.attempt,
                        first_attempt_at=request.first_attempt_at, last_reason=request.last_reason,
                        last_error=request.last_error,
                    )
                )
            except Exception:
                log.exception("retry_failed", offset=event.message.offset)

    async def _send_retry(self, request: RetryRequest) -> None:
        await self.retry_topic.send(
            key=request.org_id.encode(),
            value=request.model_dump_json().encode(),
            partition=partition_for(request.org_id, self.settings.partitions),
        )

    # ------------------------------------------------------------------ work

    async def _work(self, stream: Any) -> None:
        await self.salesforce.start()
        async for events in stream.take_events(self.settings.batch_size, within=self.settings.batch_window_s):
            try:
                await self._process_batch(events)
            except Exception:  # a bug, not an input problem: keep the worker alive, say it loudly
                log.exception("batch_failed", size=len(events))

    async def _process_batch(self, events: list[Any]) -> None:
        metrics.BATCH_SIZE.observe(len(events))
        by_meeting: dict[str, list[tuple[int, WorkItem]]] = defaultdict(list)
        for event in events:
            try:
                item = WorkItem.model_validate_json(event.message.value)
            except Exception:
                log.exception("work_item_unreadable", offset=event.message.offset)
                continue
            partition = event.message.partition
            if item.kind in (WorkKind.ORG_CONFIG, WorkKind.ORG_DELETED):
                await self._apply_config(item, partition)
            elif item.meeting is not None:
                by_meeting[item.meeting.meeting_id].append((partition, item))

        # Meetings run concurrently; the revisions of one meeting run in order, one at a time.
        outcomes = await asyncio.gather(*(self._run_meeting(group) for group in by_meeting.values()))
        touched: set[tuple[str, int]] = set()
        for group_outcomes in outcomes:
            for partition, item, outcome in group_outcomes:
                self._apply_state(item, outcome, partition)
                touched.add((item.org_id, partition))
        for org_id, partition in touched:
            self._keep_tokens(org_id, partition)
        # Ledger and state changelogs reach Kafka before any result does: a published result
        # always has its ledger entry, so a redelivered event re-publishes that same result.
        await self.app.producer.flush()
        for group_outcomes in outcomes:
            for _, _item, outcome in group_outcomes:
                if outcome.retry is not None:
                    metrics.RETRIES.labels(reason=outcome.retry.last_reason.value).inc()
                    await self._send_retry(outcome.retry)
                if outcome.result is not None:
                    await self._publish(outcome.result)
        metrics.LAST_BATCH.set(time.time())
        metrics.PARKED.set(len(self.parked))
        if time.monotonic() - self._last_sweep >= self.settings.ledger_sweep_interval_s:
            self._last_sweep = time.monotonic()
            await self._sweep_ledger()

    async def _sweep_ledger(self) -> None:
        """Drop ledger entries of meetings quiet for `ledger_retention_days` (the ledger would grow forever).

        Only partitions this worker owns are swept: a tombstone for another worker's partition would
        race with its owner. A revision arriving after retention is treated as new; the Salesforce
        writes stay idempotent through the sync key and the anchor query.
        """
        cutoff = self.clock() - timedelta(days=self.settings.ledger_retention_days)
        work_topic = self.work_topic.get_topic_name()
        owned = {tp.partition for tp in self.app.assignor.assigned_actives() if tp.topic == work_topic}
        dropped = 0
        for index, key in enumerate(self.ledger.keys()):
            if index % 1000 == 999:
                await asyncio.sleep(0)  # a long sweep must not starve the consumer's heartbeats
            entry = self.ledger.get(key)
            last = entry.last_activity if entry is not None else None
            if entry is None or last is None or last >= cutoff:
                continue
            partition = partition_for(entry.org_id, self.settings.partitions)
            if partition in owned:
                self.ledger.delete(key, partition)
                dropped += 1
        log.info("ledger_swept", dropped=dropped, kept=len(self.ledger))

    async def _run_meeting(self, group: list[tuple[int, WorkItem]]) -> list[tuple[int, WorkItem, Outcome]]:
        done: list[tuple[int, WorkItem, Outcome]] = []
        for partition, item in group:
            ledger = self.ledger.get(item.meeting.meeting_id) if item.meeting else None
            outcome = await self._sync_one(item, ledger)
            if outcome.ledger is not None and item.meeting is not None:
                # Written now, so the next revision of this meeting in the same batch sees it.
                self.ledger.put(item.meeting.meeting_id, outcome.ledger, partition)
            done.append((partition, item, outcome))
        return done

    async def _sync_one(self, item: WorkItem, ledger: LedgerEntry | None) -> Outcome:
        meeting = item.meeting
        assert meeting is not None
        structlog.contextvars.bind_contextvars(org_id=item.org_id, meeting_id=meeting.meeting_id)
        started = time.perf_counter()
        try:
            if item.kind is WorkKind.PARK_EXPIRY:
                return self.syncer.park_expired(item, ledger)
            org = self.configs.get(item.org_id)
            state = self.states.get(item.org_id)
            return await asyncio.wait_for(
                self.syncer.sync(item, org, state, ledger), timeout=self.settings.meeting_timeout_s
            )
        except TimeoutError:
            return self.syncer.too_slow(item, ledger)
        except Exception as exc:
            log.exception("sync_crashed")
            return self.syncer.crashed(item, ledger, exc)
        finally:
            metrics.MEETING_SECONDS.observe(time.perf_counter() - started)
            structlog.contextvars.unbind_contextvars("org_id", "meeting_id")

    def _apply_state(self, item: WorkItem, outcome: Outcome, partition: int) -> None:
        if outcome.result is not None and not outcome.repeat:
            metrics.SALESFORCE_CALLS.inc(outcome.result.salesforce_api_calls)
            log.info(
                "meeting_processed", org_id=item.org_id, meeting_id=outcome.result.meeting_id,
                revision=outcome.result.revision, status=outcome.result.status.value,
                reason=outcome.result.reason.value, api_calls=outcome.result.salesforce_api_calls,
                owner=mask_email(item.meeting.owner.email if item.meeting else None),
            )
        if item.kind is WorkKind.PARK_EXPIRY and item.meeting is not None:
            self._unpark(item.org_id, item.meeting.meeting_id, partition)  # its time is up: ended or done
        if outcome.park is None or item.meeting is None:
            return
        state = self.states.get(item.org_id) or OrgState()
        meeting_id = item.meeting.meeting_id
        ids = list(state.parked_meeting_ids)
        if meeting_id not in ids and len(ids) < self.settings.parked_per_org:
            ids.append(meeting_id)
        if meeting_id in ids:
            self.parked.put(meeting_id, outcome.park, partition)
        # Past the limit a meeting is not resumed on reconnect; its park deadline still ends it (failed).
        state = state.model_copy(update={"parked_meeting_ids": ids, "connection_expired_at": self.clock()})
        self.states.put(item.org_id, state, partition)

    def _unpark(self, org_id: str, meeting_id: str, partition: int) -> None:
        state = self.states.get(org_id)
        if state is not None and meeting_id in state.parked_meeting_ids:
            ids = [m for m in state.parked_meeting_ids if m != meeting_id]
            self.states.put(org_id, state.model_copy(update={"parked_meeting_ids": ids}), partition)
        if self.parked.get(meeting_id) is not None:
            self.parked.delete(meeting_id, partition)

    def _keep_tokens(self, org_id: str, partition: int) -> None:
        """Refreshed (and rotated) tokens are kept beside the config: a restart reuses them."""
        tokens = self.salesforce.tokens_for(org_id)
        state = self.states.get(org_id) or OrgState()
        if tokens is not None and tokens != state.tokens:
            self.states.put(org_id, state.model_copy(update={"tokens": tokens}), partition)

    async def _apply_config(self, item: WorkItem, partition: int) -> None:
        """A new config replaces the old; parked meetings get another go under it."""
        org_id = item.org_id
        if item.kind is WorkKind.ORG_DELETED or item.config is None:
            self.salesforce.forget(org_id)
            self.configs.delete(org_id, partition)
        else:
            self.configs.put(org_id, item.config, partition)
        state = self.states.get(org_id)
        if state is None:
            return
        for meeting_id in state.parked_meeting_ids:
            if (parked := self.parked.get(meeting_id)) is not None:
                await self._send_work(parked)
                self.parked.delete(meeting_id, partition)
        # Parked meetings go back to work and the expiry mark goes: the new config gets a fresh try.
        # Tokens stay: the client keeps them only if they descend from this config's connection.
        self.states.put(org_id, OrgState(tokens=state.tokens), partition)
        log.info("org_config_applied", org_id=org_id, resumed=len(state.parked_meeting_ids))

    # ------------------------------------------------------------------ web

    # Faust calls a page handler with the request only (a bound method stays bound); responses
    # are built with the app's web driver.

    async def _metrics_page(self, request: Any) -> Any:
        return self.app.web.bytes(generate_latest(metrics.REGISTRY), content_type=CONTENT_TYPE_LATEST)

    async def _ready_page(self, request: Any) -> Any:
        tables: Any = self.app.tables  # the recovery service is not in TableManagerT's type
        recovered = tables.recovery.completed.is_set()
        ready = recovered and not self.app.rebalancing
        return self.app.web.json({"ready": ready}, status=200 if ready else 503)

    async def _live_page(self, request: Any) -> Any:
        return self.app.web.json({"live": True})

