"""One isolated run of the product: its own topic names, consumer group, keys and simulator orgs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from service.config import Settings
from service.crypto import TokenCipher, new_key
from service.domain.messages import Crm, OrgConfig, SalesforceConnection, SyncSettings
from service.pipeline.topics import ensure_topics, publish
from stack.kafka_io import wait_consumed
from stack.processes import Simulator, Worker, free_port


class StackRun:
    def __init__(self, bootstrap: str, simulator: Simulator, run_dir: Path, **overrides: str) -> None:
        tag = uuid.uuid4().hex[:8]
        self.simulator = simulator
        self.run_dir = run_dir
        self.key = new_key()
        self.cipher = TokenCipher([self.key])
        self.env: dict[str, str] = {
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "SFSYNC_APP_ID": f"sfsync-{tag}",
            "SFSYNC_TOPIC_MEETINGS": f"meetings.summaries.v1.{tag}",
            "SFSYNC_TOPIC_ORG_CONFIGS": f"crm.org-configs.v1.{tag}",
            "SFSYNC_TOPIC_RESULTS": f"crm.sync-results.v1.{tag}",
            "SFSYNC_TOPIC_RETRY": f"crm.sync-retry.v1.{tag}",
            "SFSYNC_TOPIC_DLQ": f"meetings.summaries.v1.{tag}.dlq",
            "SFSYNC_PARTITIONS": "4",
            "SFSYNC_TOKEN_KEYS": self.key,
            "SFSYNC_CA_FILE": simulator.ca_file,
            "SFSYNC_INSTANCE_ALLOWLIST": f"127.0.0.1:{simulator.port}",
            "SFSYNC_DATA_DIR": str(run_dir / "worker-data"),
            "SFSYNC_BROKER_SESSION_TIMEOUT_S": "6",
            "SFSYNC_RETRY_BASE_DELAY_S": "1",
            "SFSYNC_RETRY_MAX_DELAY_S": "4",
            "SFSYNC_RETRY_MAX_HOLD_S": "0.5",
            "SFSYNC_RETRY_MAX_ATTEMPTS": "4",
            "SFSYNC_RETRY_MAX_AGE_S": "15",
            "SFSYNC_API_USAGE_RECHECK_S": "1",
            "SFSYNC_PARK_CHECK_INTERVAL_S": "1",
            "SFSYNC_STALL_TIMEOUT_S": "30",
            # The retry topic does the retrying, so attempt counts in tests don't depend on timing.
            "SFSYNC_CLIENT_RETRIES": "0",
            "SFSYNC_LOG_LEVEL": "WARNING",
            **overrides,
        }
        self.settings = Settings(
            **{k.removeprefix("SFSYNC_").lower(): v for k, v in self.env.items() if k.startswith("SFSYNC_")},
            KAFKA_BOOTSTRAP_SERVERS=bootstrap,
        )
        ensure_topics(self.settings)
        self.workers: list[Worker] = []

    def worker(self, name: str = "w0", **extra_env: str) -> Worker:
        env = {**self.env, "SFSYNC_WEB_PORT": str(free_port()), "SFSYNC_DATA_DIR": str(self.run_dir / name), **extra_env}
        worker = Worker(env, self.run_dir / f"{name}.log")
        self.workers.append(worker)
        return worker

    def connect_org(
        self,
        org_id: str,
        sim_document: dict[str, Any],
        *,
        settings: dict[str, Any] | None = None,
        verified_domains: list[str] | None = None,
        crm: Crm | None = Crm.SALESFORCE,
    ) -> OrgConfig:
        """Create the org in the simulator and publish its config, as the product's Connect button would.

        The refresh token gets the org id appended: in Salesforce a refresh token names one org.
        """
        refresh = f"{sim_document['oauth']['refresh_token']}-{org_id}"
        self.simulator.put_org(org_id, {**sim_document, "oauth": {**sim_document["oauth"], "refresh_token": refresh}})
        config = OrgConfig(
            org_id=org_id,
            crm=crm,
            salesforce=SalesforceConnection(
                instance_url=self.simulator.base_url,
                login_url=self.simulator.base_url,
                refresh_token=self.cipher.encrypt(refresh),
            ),
            verified_domains=verified_domains or [],
            settings=SyncSettings.model_validate(settings or {}),
            updated_at=datetime.now(UTC),
        )
        self.publish_config(config)
        return config

    def publish_config(self, config: OrgConfig) -> None:
        """Publish and wait until the worker took it: configs and meetings come on different topics, and
        a meeting sent right after its org's first config could otherwise overtake it."""
        publish(self.settings, self.settings.topic_org_configs, [(config.org_id.encode(), config.model_dump_json().encode())])
        if any(w.running for w in self.workers):
            wait_consumed(self.settings, self.settings.topic_org_configs, group=self.settings.app_id)

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
