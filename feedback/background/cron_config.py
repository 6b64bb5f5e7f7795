"""Configuration for `rq cron feedback.background.cron_config --url $REDIS_URL` (run one)."""

import os

from rq import cron

from config import sweep_parts
from feedback.background.periodic import periodic_jobs
from feedback.background.queues import queue_name_of

for periodic in periodic_jobs(sweep_parts(os.environ)):
    cron.register(
        periodic.func, queue_name_of(periodic.func), kwargs=dict(periodic.kwargs), interval=periodic.interval_seconds
    )
