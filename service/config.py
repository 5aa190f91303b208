"""All configuration, from the environment (prefix SFSYNC_) or a .env file. Secrets are SecretStr."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SALESFORCE_HOSTS = (
    # Only the hosts Salesforce serves the OAuth and REST APIs from: the generic login hosts and
    # My Domains (production, and sandboxes, Developer Edition, scratch orgs as subdomains of
    # my.salesforce.com). Not `*.salesforce.com` / `*.force.com` / `*.site.com`: Experience Cloud
    # sites and Salesforce Sites live there, and their pages are operated by customers.
    "login.salesforce.com",
    "test.salesforce.com",
    "*.my.salesforce.com",
    "*.sandbox.my.salesforce.com",
    # Government Cloud Plus - Defense My Domains (unverified against a real org; extend
    # SFSYNC_INSTANCE_ALLOWLIST if a government org logs in through another host).
    "*.my.salesforce.mil",
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SFSYNC_", env_file=".env", extra="ignore")

    # Kafka
    bootstrap_servers: str = Field(default="127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP_SERVERS")
    app_id: str = "sfsync"
    topic_meetings: str = "meetings.summaries.v1"
    topic_org_configs: str = "crm.org-configs.v1"
    topic_results: str = "crm.sync-results.v1"
    topic_retry: str = "crm.sync-retry.v1"
    topic_dlq: str = "meetings.summaries.v1.dlq"
    partitions: int = 6
    replication_factor: int = 1
    max_message_bytes: int = 1_000_000
    broker_session_timeout_s: float = 10.0
    broker_heartbeat_interval_s: float = 1.0
    data_dir: str = ".run/worker-data"

    # Processing
    batch_size: int = 64  # meetings taken per batch and processed concurrently
    batch_window_s: float = 0.2
    meeting_timeout_s: float = 30.0  # a meeting slower than this leaves the batch for the retry path
    retry_max_attempts: int = 8
    retry_base_delay_s: float = 5.0
    retry_max_delay_s: float = 900.0
    retry_max_age_s: float = 24 * 3600.0
    retry_max_hold_s: float = 2.0  # longest the retry agent sleeps on one not-yet-due message
    parked_per_org: int = 500  # meetings kept while an org's connection is expired
    stall_timeout_s: float = 180.0  # no batch this long while work waits: the worker exits (restarted)
    park_check_interval_s: float = 60.0  # how often parked meetings are checked against retry_max_age_s
    commit_interval_s: float = 1.0  # how often offsets are committed (fewer repeats after a crash)
    ledger_retention_days: float = 30.0  # ledger entries of meetings quiet this long are dropped
    ledger_sweep_interval_s: float = 600.0

    # Salesforce
    salesforce_api_version: str = "v60.0"
    oauth_client_id: str = "sfsync"
    oauth_client_secret: SecretStr = SecretStr("")
    token_keys: SecretStr = Field(
        default=SecretStr(""),
        description="Comma-separated Fernet keys, newest first (MultiFernet: rotate by prepending).",
    )
    instance_allowlist: str = ",".join(SALESFORCE_HOSTS)  # comma-separated host patterns
    ca_file: str | None = None  # extra CA to trust (the simulator's), besides the system store
    connect_timeout_s: float = 5.0
    request_timeout_s: float = 30.0
    client_retries: int = 3  # in-process retries of transient errors
    client_retry_budget_s: float = 10.0
    api_reserve_fraction: float = 0.9  # above this share of the daily limit, defer the org's work
    api_usage_recheck_s: float = 300.0  # an org over its reserve is probed again after this long
    users_cache_ttl_s: float = 900.0
    describe_cache_ttl_s: float = 3600.0

    # Web (metrics, health)
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    log_level: str = "INFO"

    def allowlist_patterns(self) -> tuple[str, ...]:
        return tuple(p.strip().lower() for p in self.instance_allowlist.split(",") if p.strip())

    def fernet_keys(self) -> list[str]:
        return [k.strip() for k in self.token_keys.get_secret_value().split(",") if k.strip()]

