"""Prometheus metrics: `sfsync_` prefix, base units, bounded labels (never an org id or an email)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

RESULTS = Counter(
    "sfsync_results_total", "Sync results published, by status and reason.", ["status", "reason"], registry=REGISTRY
)
SALESFORCE_CALLS = Counter(
    "sfsync_salesforce_api_requests_total", "Salesforce API requests spent (counted against org limits).",
    registry=REGISTRY,
)
MEETING_SECONDS = Histogram(
    "sfsync_meeting_sync_seconds", "Time to sync one meeting revision (read, match, plan, write).",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60), registry=REGISTRY,
)
BATCH_SIZE = Histogram(
    "sfsync_batch_size", "Work items per processed batch.", buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
    registry=REGISTRY,
)
DLQ = Counter("sfsync_dlq_records_total", "Records sent to the dead-letter topic.", ["source"], registry=REGISTRY)
RETRIES = Counter("sfsync_retries_scheduled_total", "Meetings sent to the retry topic.", ["reason"], registry=REGISTRY)
PARKED = Gauge(
    "sfsync_parked_meetings", "Meetings parked until their org reconnects (this worker).", registry=REGISTRY
)
LAST_BATCH = Gauge(
    "sfsync_last_batch_completed_timestamp_seconds", "When the last batch finished: alert when it stops advancing.",
    registry=REGISTRY,
)
