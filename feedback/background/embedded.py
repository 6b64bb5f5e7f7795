"""The embedded default: scheduler, periodic jobs and a worker in one background thread.

Used when no REDIS_URL is set, next to the in-process fakeredis server (queues.py). A stock
RQ worker cannot run in a thread (it installs signal handlers), hence ThreadWorker; one
RQScheduler lives as long as the thread, because a new one each pass would never get the lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from flask import Flask
from rq.cron import CronScheduler
from rq.scheduler import RQScheduler

from feedback.background.periodic import PERIODIC_JOBS, PeriodicJob
from feedback.background.queues import QUEUE_NAMES, queue_name_of, redis_connection
from feedback.background.workers import ThreadWorker, make_worker

log = logging.getLogger(__name__)


class EmbeddedWorker:
    def __init__(self, app: Flask, periodic_jobs: Sequence[PeriodicJob] = PERIODIC_JOBS) -> None:
        connection = redis_connection(app)
        self.interval = float(app.config["EMBEDDED_WORKER_INTERVAL"])
        self.scheduler = RQScheduler(QUEUE_NAMES, connection=connection, logging_level=logging.WARNING)
        self.cron = CronScheduler(connection=connection, logging_level=logging.WARNING)
        for periodic in periodic_jobs:
            self.cron.register(
                periodic.func, queue_name_of(periodic.func), kwargs=dict(periodic.kwargs),
                interval=periodic.interval_seconds,
            )
        self.worker = make_worker(app, ThreadWorker)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="embedded-worker", daemon=True)

    def run_once(self) -> None:
        if not self.scheduler.acquired_locks:
            self.scheduler.acquire_locks()
        self.scheduler.enqueue_scheduled_jobs()
        self.cron.enqueue_jobs()
        self.worker.work(burst=True, logging_level="WARNING")

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                # The thread must outlive one bad pass, or every later job would wait forever.
                log.exception("embedded worker pass failed")
            self._stop.wait(self.interval)
