"""A real Redis server for the tests that stop it or kill workers: started and stopped by the test,
on a port of its own."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.support.ports import free_port
from tests.support.waiting import wait_for

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def require_redis_server() -> None:
    if not os.path.exists(REDIS_SERVER):
        pytest.skip(
            "no redis-server here: install Redis (Debian's `redis-server`) "
            "for the tests that stop Redis or kill workers"
        )
    if not Path("/proc/self/stat").exists():
        pytest.skip("killing a worker with its children needs Linux's /proc to find them")


class RedisServer:
    """A throwaway redis-server on its own port, keeping nothing on disk."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.directory = directory
        self.log_path = directory / f"redis-{self.port}.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.directory)],
                stdout=log, stderr=subprocess.STDOUT,
            )
        wait_for(self._answers, f"redis-server on port {self.port}", details=self.log_path.read_text)
        return self

    def flush(self) -> None:
        with Redis(port=self.port) as client:
            client.flushall()

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def _answers(self) -> bool:
        assert self._process is not None
        if self._process.poll() is not None:
            raise AssertionError(f"redis-server exited:\n{self.log_path.read_text()}")
        try:
            with Redis(port=self.port, socket_connect_timeout=1) as client:
                return bool(client.ping())
        except RedisConnectionError:
            return False
