"""What uvicorn imports in each worker process of ``serve_workers``: the bounded HTTP protocol.

uvicorn hands its config to worker processes by pickling it, so a protocol class made in the
parent (``limits.guarded_protocol`` makes one per server) cannot travel; each worker builds its
own from the office's config file the parent names in the environment, as ``serve`` does.
"""

from __future__ import annotations

import os
from pathlib import Path

from queue_api.config import load_office_config
from queue_api.server import CONFIG_ENV
from queue_api.server.limits import guarded_protocol, raise_open_files_limit, server_limits

GuardedProtocol = guarded_protocol(
    server_limits(load_office_config(Path(os.environ[CONFIG_ENV])).server, raise_open_files_limit())
)
