"""Running the Faust worker: topics first, then the app, with logging configured our way."""

from __future__ import annotations

import faust

from service.config import Settings
from service.observability.logging import configure
from service.pipeline.app import SyncApp
from service.pipeline.topics import ensure_topics


def run_worker(settings: Settings) -> None:
    configure(settings.log_level)
    ensure_topics(settings)
    sync_app = SyncApp(settings)
    worker = faust.Worker(
        sync_app.app,
        loglevel=settings.log_level,
        redirect_stdouts=False,
        override_logging=False,
    )
    worker.execute_from_commandline()
