"""Ports for the servers the tests start, from this xdist worker's own block
(tests/support/isolation.py), so that workers running side by side never take the same one."""

from __future__ import annotations

import functools
import itertools
import socket
from collections.abc import Iterator

from tests.support.isolation import PORTS_PER_WORKER, worker_ports


def free_port() -> int:
    """A port nothing listens on now, from this xdist worker's own block; one handed out before
    comes round again only after the rest of the block."""
    for port in itertools.islice(_block_of_ports(), PORTS_PER_WORKER):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("every port of this worker's block is taken")


@functools.cache
def _block_of_ports() -> Iterator[int]:
    return itertools.cycle(worker_ports())
