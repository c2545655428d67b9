"""`yinling opendata`: serve the feed with uvicorn on the configured port."""
from __future__ import annotations

import logging

import uvicorn

from services.opendata.app import create_app
from yinling.config import Settings
from yinling.tls import http_certificate, scheme

log = logging.getLogger(__name__)


def main(settings: Settings) -> None:
    port = settings.port("opendata.http")
    log.info("open-data feed on %s://%s:%s", scheme(settings), settings.host, port)
    # uvicorn handles SIGTERM/SIGINT with a graceful shutdown; logging is configured by the CLI.
    certfile, keyfile = http_certificate(settings)
    uvicorn.run(create_app(settings), host=settings.host, port=port, log_config=None,
                access_log=False, ssl_certfile=certfile, ssl_keyfile=keyfile)
