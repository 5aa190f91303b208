"""The Faust application: topics, tables, the four agents that move a meeting through, and two timers
(parked meetings' deadlines, the stall watchdog).

    meetings.summaries.v1 ─┐ intake (decode, validate, re-key)         ┌─► crm.sync-results.v1
    crm.org-configs.v1 ────┼──────────────────────► sfsync-work ─► work ┼─► crm.sync-retry.v1 ─► retry ─┐
                           └─► DLQ + `rejected`          ▲              └─► ledger / org tables         │
                                                         └──────────────────────────────────────────────┘
Every agent runs with concurrency 1 (FAUST-NOTES pitfall 1); parallelism comes from the work agent
taking batches and syncing their meetings concurrently, one revision of a meeting at a time. No
exception leaves an agent (pitfall 2): an input problem becomes a result or a DLQ record, a Salesforce
problem a result or a retry, and anything else stops the process before its offsets move.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import faust
import structlog
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from service.config import Settings
from service.crypto import TokenCipher
from service.domain.ledger import LedgerEntry
from service.domain.messages import MeetingSummary, OrgConfig, Reason, RetryRequest, SyncResult, SyncStatus
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

SWEEP_SLICE = 2_000  # ledger keys checked per batch while a sweep is in progress
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
        self._sweep_keys: list[str] = []
        self._idle = asyncio.Event()
        self._idle.set()
        self._expiry_sent: set[str] = set()  # park expiries sent and not yet processed
        self._orgs_seen: set[str] = set()  # orgs whose Salesforce session this worker may hold
        self._last_progress = time.monotonic()
        self._last_offset: dict[int, int] = {}  # work partition -> newest offset taken into a batch
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
        revoked_signal: Any = app.on_partitions_revoked  # its receiver type wants a `signal` keyword
        revoked_signal.connect(self._on_partitions_revoked)
        app.timer(interval=settings.park_check_interval_s)(self._expire_parked)
        app.timer(interval=max(1.0, settings.stall_timeout_s / 4))(self._watch_for_stall)
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
            message = event.message
            try:
                decoded = decode_meeting(message.value, max_bytes=self.settings.max_message_bytes)
            except Exception as exc:  # a decoder bug is still this message's problem: DLQ it, go on
                log.exception("meeting_undecodable", offset=message.offset)
                decoded = Rejection("(message)", f"could not be decoded ({type(exc).__name__})")
            await self._handing_off(self._take_meeting(message, decoded))

    async def _take_meeting(self, message: Any, decoded: MeetingSummary | Rejection) -> None:
        if isinstance(decoded, Rejection):
            await self._reject(message, decoded)
        else:
            await self._send_work(WorkItem(kind=WorkKind.MEETING, org_id=decoded.org_id, meeting=decoded))

    async def _intake_configs(self, stream: Any) -> None:
        async for event in stream.events():
            message = event.message
            if message.value is None:  # tombstone: the org is gone
                if message.key:
                    item = WorkItem(kind=WorkKind.ORG_DELETED, org_id=message.key.decode(errors="replace"))
                    await self._handing_off(self._send_work(item))
                continue
            try:
                config = decode_org_config(message.value, max_bytes=self.settings.max_message_bytes)
            except Exception as exc:
                log.exception("config_undecodable", offset=message.offset)
                config = Rejection("(message)", f"could not be decoded ({type(exc).__name__})")
            if isinstance(config, Rejection):
                await self._handing_off(self._dead_letter(message, config, "org-configs"))
            else:
                item = WorkItem(kind=WorkKind.ORG_CONFIG, org_id=config.org_id, config=config)
                await self._handing_off(self._send_work(item))

    async def _handing_off(self, handoff: Awaitable[None]) -> None:
        """Run a hand-off to Kafka; if it fails, stop the process (see `_fail_stop`)."""
        try:
            await handoff
        except Exception:
            self._fail_stop("handoff_failed")

    def _fail_stop(self, what: str) -> None:
        """Stop at once, committing nothing more.

        An exception that leaves a Faust agent acks the message it was processing (FAUST-NOTES
        pitfall 2), and `take_events` acks a whole batch when its body raises: either would lose
        meetings. Input problems never get here (they become results and DLQ records); what does is
        Kafka refusing our writes or a bug of ours. Exiting leaves the offsets where they were, so the
        work is redelivered after the restart, and the crash loop is loud where silence would lose data.
        """
        log.critical(what, exc_info=True)
        logging.shutdown()
        os._exit(70)

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
            ("sfsync-error", rejection.text.encode(errors="replace")[:4000]),
            ("sfsync-error-field", rejection.field.encode(errors="replace")),
            ("sfsync-source-topic", str(message.topic).encode()),
            ("sfsync-source-partition", str(message.partition).encode()),
            ("sfsync-source-offset", str(message.offset).encode()),
        ]
        await self.dlq_topic.send(key=message.key, value=message.value, headers=headers)

    async def _send_work(self, item: WorkItem) -> None:
        await self._send_to_org_partition(self.work_topic, item.org_id, item)

    async def _send_to_org_partition(self, topic: Any, org_id: str, value: BaseModel) -> None:
        """Keyed by org and placed by our own partition function, whatever the producer would pick."""
        await topic.send(
            key=org_id.encode(),
            value=value.model_dump_json().encode(),
            partition=partition_for(org_id, self.settings.partitions),
        )

    async def _publish(self, result: SyncResult) -> None:
        metrics.RESULTS.labels(status=result.status.value, reason=result.reason.value).inc()
        await self.results_topic.send(key=result.meeting_id.encode(), value=result.model_dump_json().encode())

    # ------------------------------------------------------------------ retry

    async def _retry(self, stream: Any) -> None:
        """Hands deferred work back to the work topic when it is due.

        Messages that are not due go back to the end of the retry topic, a batch at a time; when a
        batch held nothing due, the agent sleeps until the soonest is due (at most `retry_max_hold_s`).
        So a long delay never holds the messages behind it, and a topic of waiting messages is
        re-read at most once per `retry_max_hold_s`.
        """
        tables: Any = self.app.tables
        await tables.recovery.completed.wait()  # as the work agent: no batch taken before recovery
        async for events in stream.take_events(self.settings.batch_size * 4, within=self.settings.retry_max_hold_s):
            await tables.recovery.completed.wait()
            await self._handing_off(self._retry_batch(events))

    async def _retry_batch(self, events: list[Any]) -> None:
        now = self.clock()
        soonest: float | None = None
        handed_back = 0
        for event in events:
            try:
                request = RetryRequest.model_validate_json(event.message.value)
            except Exception:
                log.exception("retry_request_unreadable", offset=event.message.offset)
                await self._dead_letter(event.message, Rejection("(message)", "unreadable retry request"), "retry")
                continue
            wait = (request.not_before - now).total_seconds()
            if wait > 0:
                await self._send_retry(request)
                soonest = wait if soonest is None else min(soonest, wait)
                continue
            handed_back += 1
            await self._send_work(
                WorkItem(
                    kind=WorkKind.MEETING, org_id=request.org_id, meeting=request.meeting, attempt=request.attempt,
                    first_attempt_at=request.first_attempt_at, last_reason=request.last_reason,
                    last_error=request.last_error,
                )
            )
        if not handed_back and soonest is not None:
            await asyncio.sleep(min(soonest, self.settings.retry_max_hold_s))

    async def _send_retry(self, request: RetryRequest) -> None:
        await self._send_to_org_partition(self.retry_topic, request.org_id, request)

    # ------------------------------------------------------------------ work

    async def _work(self, stream: Any) -> None:
        await self.salesforce.start()
        # No batch before the tables are recovered: it would meet a half-restored ledger, and in
        # faust-streaming 0.15.3 a `take_events` batch taken before recovery ended left the stream
        # delivering nothing more after Faust's seek to the committed offsets (seen in the crash test).
        tables: Any = self.app.tables
        await tables.recovery.completed.wait()
        async for events in stream.take_events(self.settings.batch_size, within=self.settings.batch_window_s):
            await tables.recovery.completed.wait()  # a later rebalance may be recovering again
            self._idle.clear()
            try:
                await self._process_batch(events)
            except Exception:
                self._fail_stop("batch_failed")
            finally:
                self._idle.set()

    async def _process_batch(self, events: list[Any]) -> None:
        """Configs and meetings in the order they came; meetings between two configs run concurrently."""
        metrics.BATCH_SIZE.observe(len(events))
        outcomes: list[tuple[int, WorkItem, Outcome]] = []
        run: list[tuple[int, WorkItem]] = []
        for event in events:
            partition = event.message.partition
            self._last_offset[partition] = max(event.message.offset, self._last_offset.get(partition, -1))
            # No "still assigned?" filter here: skipping acks the event, and the consumer's view of
            # its assignment lags behind a rebalance; a skip lost 55 meetings in the crash test.
            # An event of a just-revoked partition is handled like a redelivery (idempotent).
            item = await self._read_work_item(event)
            if item is None:
                continue
            if item.kind in (WorkKind.ORG_CONFIG, WorkKind.ORG_DELETED):
                outcomes += await self._sync_run(run)
                run = []
                await self._apply_config(item, partition)
            elif item.meeting is not None:
                run.append((partition, item))
        outcomes += await self._sync_run(run)
        for org_id, partition in {(item.org_id, partition) for partition, item, _ in outcomes}:
            self._orgs_seen.add(org_id)
            self._keep_tokens(org_id, partition)

        # Retries first: once the ledger says an attempt was handled, its retry must already exist.
        retries = [o.retry for _, _, o in outcomes if o.retry is not None]
        for retry in retries:
            metrics.RETRIES.labels(reason=retry.last_reason.value).inc()
            await self._send_retry(retry)
        if retries:
            await self.app.producer.flush()
        # Then the tables: a published result always has its ledger entry, so a redelivered event
        # re-publishes that same result.
        await self._settle_tables()
        for _, _, outcome in outcomes:
            if outcome.result is not None:
                await self._publish(outcome.result)
        metrics.LAST_BATCH.set(time.time())
        self._last_progress = time.monotonic()
        metrics.PARKED.set(len(self.parked))
        await self._sweep_ledger_step()

    async def _read_work_item(self, event: Any) -> WorkItem | None:
        try:
            return WorkItem.model_validate_json(event.message.value)
        except Exception:  # written by us, so a bug or a newer worker: keep the bytes for a human
            log.exception("work_item_unreadable", offset=event.message.offset)
            await self._dead_letter(event.message, Rejection("(message)", "unreadable work item"), "work")
            return None

    async def _sync_run(self, run: list[tuple[int, WorkItem]]) -> list[tuple[int, WorkItem, Outcome]]:
        """Meetings run concurrently; the revisions of one meeting run in order, one at a time."""
        by_meeting: dict[str, list[tuple[int, WorkItem]]] = defaultdict(list)
        for partition, item in run:
            assert item.meeting is not None
            by_meeting[item.meeting.meeting_id].append((partition, item))
        done: list[tuple[int, WorkItem, Outcome]] = []
        for group in await asyncio.gather(*(self._run_meeting(g) for g in by_meeting.values())):
            for partition, item, outcome in group:
                self._apply_state(item, outcome, partition)
                done.append((partition, item, outcome))
        return done

    async def _run_meeting(self, group: list[tuple[int, WorkItem]]) -> list[tuple[int, WorkItem, Outcome]]:
        done: list[tuple[int, WorkItem, Outcome]] = []
        for partition, item in group:
            assert item.meeting is not None
            meeting_id = item.meeting.meeting_id
            structlog.contextvars.bind_contextvars(org_id=item.org_id, meeting_id=meeting_id, partition=partition)
            started = time.perf_counter()
            ledger: LedgerEntry | None = None
            try:
                ledger = self.ledger.get(meeting_id)
                outcome = await self._sync_one(item, ledger)
                if outcome.ledger is not None:
                    # Written now, so the next revision of this meeting in the same batch sees it.
                    self.ledger.put(meeting_id, outcome.ledger, partition)
            except Exception as exc:  # a bug of ours with this meeting: it fails, the others go on
                log.exception("sync_crashed")
                outcome = self.syncer.crashed(item, ledger, exc)
                if outcome.ledger is not None:
                    self.ledger.put(meeting_id, outcome.ledger, partition)
            finally:
                metrics.MEETING_SECONDS.observe(time.perf_counter() - started)
                structlog.contextvars.unbind_contextvars("org_id", "meeting_id", "partition")
            done.append((partition, item, outcome))
        return done

    async def _sync_one(self, item: WorkItem, ledger: LedgerEntry | None) -> Outcome:
        if item.kind is WorkKind.PARK_EXPIRY:
            return self.syncer.park_expired(item, ledger)
        org = self.configs.get(item.org_id)
        state = self.states.get(item.org_id)
        try:
            return await asyncio.wait_for(
                self.syncer.sync(item, org, state, ledger), timeout=self.settings.meeting_timeout_s
            )
        except TimeoutError:
            return self.syncer.too_slow(item, ledger)

    def _apply_state(self, item: WorkItem, outcome: Outcome, partition: int) -> None:
        if outcome.result is not None and not outcome.repeat:
            metrics.SALESFORCE_CALLS.inc(outcome.result.salesforce_api_calls)
            log.info(
                "meeting_processed", org_id=item.org_id, meeting_id=outcome.result.meeting_id,
                revision=outcome.result.revision, status=outcome.result.status.value,
                reason=outcome.result.reason.value, api_calls=outcome.result.salesforce_api_calls,
                owner=mask_email(item.meeting.owner.email if item.meeting else None),
            )
        if item.meeting is None:
            return
        meeting_id = item.meeting.meeting_id
        if item.kind is WorkKind.PARK_EXPIRY or (outcome.result is not None and outcome.result.status.is_terminal):
            self._unpark(item.org_id, meeting_id, partition)  # ended or done: nothing left to resume
        if outcome.park is None:
            return
        state = self.states.get(item.org_id) or OrgState()
        ids = list(state.parked_meeting_ids)
        if meeting_id not in ids and len(ids) < self.settings.parked_per_org:
            ids.append(meeting_id)
        already = self.parked.get(meeting_id)
        newer_parked = already is not None and already.meeting is not None and (
            already.meeting.revision > item.meeting.revision
        )
        if meeting_id in ids and not newer_parked:
            self.parked.put(meeting_id, outcome.park, partition)
        # Past the limit a meeting is not resumed on reconnect; the park timer still ends it (failed).
        state = state.model_copy(update={"parked_meeting_ids": ids, "connection_expired_at": self.clock()})
        self.states.put(item.org_id, state, partition)

    def _unpark(self, org_id: str, meeting_id: str, partition: int) -> None:
        if self.parked.get(meeting_id) is None:
            return
        self.parked.delete(meeting_id, partition)
        self._expiry_sent.discard(meeting_id)
        state = self.states.get(org_id)
        if state is not None and meeting_id in state.parked_meeting_ids:
            ids = [m for m in state.parked_meeting_ids if m != meeting_id]
            self.states.put(org_id, state.model_copy(update={"parked_meeting_ids": ids}), partition)

    def _keep_tokens(self, org_id: str, partition: int) -> None:
        """Refreshed (and rotated) tokens are kept beside the config: a restart reuses them."""
        tokens = self.salesforce.tokens_for(org_id)
        state = self.states.get(org_id) or OrgState()
        if tokens is not None and tokens != state.tokens:
            self.states.put(org_id, state.model_copy(update={"tokens": tokens}), partition)

    async def _apply_config(self, item: WorkItem, partition: int) -> None:
        """A new config replaces the old; parked meetings get another go under it."""
        org_id = item.org_id
        state = self.states.get(org_id)
        deleted = item.kind is WorkKind.ORG_DELETED or item.config is None
        if deleted:
            self.salesforce.forget(org_id)
            self.configs.delete(org_id, partition)
        else:
            assert item.config is not None
            self.configs.put(org_id, item.config, partition)
        if state is None:
            return
        resumed = 0
        for meeting_id in state.parked_meeting_ids:
            if (parked := self.parked.get(meeting_id)) is not None:
                # The next attempt: the parked one is marked handled in the ledger.
                await self._send_work(parked.model_copy(update={"attempt": parked.attempt + 1}))
                self.parked.delete(meeting_id, partition)
                self._expiry_sent.discard(meeting_id)
                resumed += 1
        if deleted:
            self.states.delete(org_id, partition)  # its tokens must not outlive the org
        else:
            # The expiry mark goes: the new config gets a fresh try. Tokens stay; the client keeps
            # them only if they descend from this config's connection.
            self.states.put(org_id, OrgState(tokens=state.tokens), partition)
        log.info("org_config_applied", org_id=org_id, resumed=resumed, deleted=deleted)

    async def _settle_tables(self) -> None:
        for table in (self.configs, self.states, self.ledger, self.parked):
            await table.settle()

    # ------------------------------------------------------------------ housekeeping

    def _owned_work_partitions(self) -> set[int]:
        work_topic = self.work_topic.get_topic_name()
        return {tp.partition for tp in self.app.consumer.assignment() if tp.topic == work_topic}

    async def _on_partitions_revoked(self, sender: Any, revoked: set[Any], **_: Any) -> None:
        """Before a partition moves to another worker: finish the batch, then forget what we held.

        Waiting keeps two workers from syncing the same meeting at once (its new owner starts from
        our last commit only after this returns). Forgetting keeps stale state (tables, sessions with
        tokens another worker may rotate) from coming back if the partition returns here later.
        """
        try:
            await asyncio.wait_for(self._idle.wait(), timeout=self.settings.meeting_timeout_s + 15)
        except TimeoutError:
            log.warning("revoke_while_busy")
        work_topic = self.work_topic.get_topic_name()
        gone = {tp.partition for tp in revoked if tp.topic == work_topic}
        if not gone:
            return
        for table in (self.configs, self.states, self.ledger, self.parked):
            table.forget_partitions(gone)
        for org_id in [o for o in self._orgs_seen if partition_for(o, self.settings.partitions) in gone]:
            self.salesforce.forget(org_id)
            self._orgs_seen.discard(org_id)
        log.info("partitions_revoked", partitions=sorted(gone))

    async def _expire_parked(self, _app: Any = None) -> None:
        """Parked meetings whose org has not reconnected within `retry_max_age_s` end (failed)."""
        cutoff = self.clock() - timedelta(seconds=self.settings.retry_max_age_s)
        for meeting_id in self.parked.snapshot_keys():
            item = self.parked.get(meeting_id)
            if item is None or meeting_id in self._expiry_sent:
                continue
            if item.first_attempt_at is not None and item.first_attempt_at <= cutoff:
                self._expiry_sent.add(meeting_id)
                await self._handing_off(self._send_work(item.model_copy(update={"kind": WorkKind.PARK_EXPIRY})))

    async def _watch_for_stall(self, _app: Any = None) -> None:
        """Fail-stop when work waits on an owned partition and no batch has run for `stall_timeout_s`.

        The backstop for Faust's known rebalance and recovery hangs (FAUST-NOTES pitfall 7): a worker
        that stopped consuming would otherwise sit there, healthy-looking, while its orgs wait. After the
        restart its partitions are consumed again from the committed offsets.
        """
        tables: Any = self.app.tables
        idle_for = time.monotonic() - self._last_progress
        if idle_for < self.settings.stall_timeout_s or not self._idle.is_set():
            return
        if not tables.recovery.completed.is_set():
            return
        consumer: Any = self.app.consumer
        work_topic = self.work_topic.get_topic_name()
        for tp in consumer.assignment():
            if tp.topic != work_topic:
                continue
            try:
                highwater = consumer.highwater(tp)
            except Exception:  # noqa: S112 - no fetch yet: nothing to judge
                continue
            taken = self._last_offset.get(tp.partition)
            committed = getattr(consumer, "_committed_offset", {}).get(tp)
            done = max(x for x in (taken, (committed or 0) - 1, -1) if x is not None)
            if highwater is not None and highwater - 1 > done:
                log.critical("work_stalled", partition=tp.partition, waiting=highwater - 1 - done, idle_s=idle_for)
                logging.shutdown()
                os._exit(70)

    async def _sweep_ledger_step(self) -> None:
        """Drop ledger entries of meetings quiet for `ledger_retention_days` (the ledger would grow forever).

        A bounded slice of keys per batch, so the sweep never stalls the consumer. Only partitions this
        worker owns are swept: a tombstone for another worker's partition would race with its owner. A
        revision arriving after retention is treated as new; the Salesforce writes stay idempotent
        through the sync key and the anchor query.
        """
        if not self._sweep_keys:
            if time.monotonic() - self._last_sweep < self.settings.ledger_sweep_interval_s:
                return
            self._last_sweep = time.monotonic()
            self._sweep_keys = self.ledger.snapshot_keys()
        cutoff = self.clock() - timedelta(days=self.settings.ledger_retention_days)
        owned = self._owned_work_partitions()
        chunk, self._sweep_keys = self._sweep_keys[:SWEEP_SLICE], self._sweep_keys[SWEEP_SLICE:]
        for key in chunk:
            entry = self.ledger.get(key)
            last = entry.last_activity if entry is not None else None
            if entry is None or last is None or last >= cutoff:
                continue
            partition = partition_for(entry.org_id, self.settings.partitions)
            if partition in owned:
                self.ledger.delete(key, partition)
        await self.ledger.settle()

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

