"""Configuration for `rq cron feedback.background.cron_config --url $REDIS_URL` (run one)."""

from rq import cron

from feedback.background.periodic import PERIODIC_JOBS
from feedback.background.queues import queue_name_of

for periodic in PERIODIC_JOBS:
    cron.register(periodic.func, queue_name_of(periodic.func), interval=periodic.interval_seconds)
