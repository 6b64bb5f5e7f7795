"""RQ worker classes that run each job inside a fresh Flask app context."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flask import Flask
from rq import SimpleWorker
from rq.job import Job
from rq.queue import Queue
from rq.timeouts import TimerDeathPenalty
from rq.worker import BaseWorker

from feedback.background.outbox import mark_taken
from feedback.background.queues import QUEUE_NAMES, get_queue, redis_connection

if TYPE_CHECKING:
    # The mixin always comes before an RQ worker class: the checker may see that class's methods.
    _MixedInto = BaseWorker
else:
    _MixedInto = object


class _AppContextMixin(_MixedInto):
    flask_app: Flask

    def perform_job(self, job: Job, queue: Queue, *args: Any, **kwargs: Any) -> bool:
        # A context per job gives each job its own database session, removed afterwards.
        with self.flask_app.app_context():
            mark_taken(job.id)
            return super().perform_job(job, queue, *args, **kwargs)


class AppSimpleWorker(_AppContextMixin, SimpleWorker):
    """Runs each job in the worker's own process: `flask worker`, and the tests' real jobs."""


class ThreadWorker(AppSimpleWorker):
    """Runs in a background thread, where Python allows no signal handlers."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        pass


def make_worker(
    app: Flask, worker_class: type[_AppContextMixin] = AppSimpleWorker, queue_names: Sequence[str] = QUEUE_NAMES
) -> _AppContextMixin:
    queues = [get_queue(name, app) for name in queue_names]
    worker = worker_class(queues, connection=redis_connection(app))
    worker.flask_app = app
    return worker


def run_jobs(app: Flask) -> bool:
    """Run every queued job once, in this process; True when any ran."""
    return bool(make_worker(app).work(burst=True, logging_level="WARNING"))
