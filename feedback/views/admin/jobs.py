"""The administrators' page on background work: the queues, the outbox, the jobs that failed and
the messages that did not go out. Registered on the admin blueprint, whose before_request keeps
it for administrators."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from redis.exceptions import RedisError
from werkzeug.wrappers import Response

from feedback.models import utcnow
from feedback.services.job_admin import (
    JobGone,
    delete_failed_job,
    failed_jobs,
    outbox_backlog,
    queue_figures,
    retry_failed_job,
)
from feedback.services.notifications.delivery import delivery_counts, send_again
from feedback.services.notifications.message_log import undelivered_messages
from feedback.services.statistics.rebuild import rebuild_progress, request_rebuild, statistics_status
from feedback.views.routes import Routes

routes = Routes()

QUEUE_LABELS = {
    "notifications": _l("Messages"),
    "deadlines": _l("Deadlines and reminders"),
    "statistics": _l("Statistics"),
}


@routes.get("/jobs/")
def jobs() -> str:
    try:
        figures, failed = queue_figures(), failed_jobs()
    except RedisError:
        # The database half of the page still helps: what waits in the outbox, what failed to send.
        figures, failed = None, None
    backlog = outbox_backlog()
    context: dict[str, Any] = {
        "figures": figures,
        "failed": failed,
        "backlog": backlog,
        "backlog_age": format_timedelta(utcnow() - backlog.oldest) if backlog.oldest else "",
        "counts": delivery_counts(),
        "undelivered": undelivered_messages(),
        "statistics": statistics_status(),
        "rebuild": rebuild_progress(),
        "queue_label": lambda name: QUEUE_LABELS.get(name, name),
    }
    return render_template("admin/jobs.html", **context)


@routes.post("/jobs/failed/<queue_name>/<job_id>/retry")
def retry_job(queue_name: str, job_id: str) -> Response:
    try:
        retry_failed_job(current_user, queue_name, job_id)
    except JobGone:
        flash(_("That job is no longer among the failed jobs: it was retried, deleted or has expired."), "error")
    except RedisError:
        flash(_("Redis cannot be reached, so the job was not retried. Try again once it is back."), "error")
    else:
        flash(_("The job is back in the queue “%(queue)s”: a worker runs it again shortly.",
                queue=QUEUE_LABELS.get(queue_name, queue_name)), "success")
    return redirect(url_for(".jobs"))


@routes.post("/jobs/failed/<queue_name>/<job_id>/delete")
def delete_job(queue_name: str, job_id: str) -> Response:
    try:
        delete_failed_job(current_user, queue_name, job_id)
    except JobGone:
        flash(_("That job is no longer among the failed jobs: it was retried, deleted or has expired."), "error")
    except RedisError:
        flash(_("Redis cannot be reached, so the job was not deleted. Try again once it is back."), "error")
    else:
        flash(_("The failed job was deleted; it will not run."), "success")
    return redirect(url_for(".jobs"))


@routes.post("/jobs/statistics/rebuild")
def rebuild_statistics() -> Response:
    request_rebuild(current_user)
    flash(_("The statistics will be compiled again from every ticket; the progress is shown below."), "success")
    return redirect(url_for(".jobs", _anchor="statistics"))


@routes.post("/jobs/messages/<int:notification_id>/send-again")
def send_message_again(notification_id: int) -> Response:
    try:
        notification = send_again(current_user, notification_id)
    except ValueError:
        flash(_("That message is no longer failed or uncertain, so it was not sent again."), "error")
    else:
        flash(_("The message to %(recipient)s is sent again in a moment.", recipient=notification.recipient),
              "success")
    return redirect(url_for(".jobs"))
