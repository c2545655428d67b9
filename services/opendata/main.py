"""`yinling opendata`: serve the feed with uvicorn on the configured port."""
from __future__ import annotations

import logging

import uvicorn

from services.opendata.app import create_app
from yinling.config import Settings

log = logging.getLogger(__name__)


def main(settings: Settings) -> None:
    port = settings.port("opendata.http")
    log.info("open-data feed on http://%s:%s", settings.host, port)
    # uvicorn handles SIGTERM/SIGINT with a graceful shutdown; logging is configured by the CLI.
    uvicorn.run(create_app(settings), host=settings.host, port=port, log_config=None,
                access_log=False)
