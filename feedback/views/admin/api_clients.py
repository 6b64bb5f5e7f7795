"""The administrators' page of the Open311 API clients: their keys, what each filed, a form to
add one and a button to revoke a key. Registered on the admin blueprint, whose before_request
keeps it for administrators."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from feedback.forms.admin_api import ApiClientForm
from feedback.services.open311.clients import (
    add_api_client,
    api_client_rows,
    revoke_api_client,
)
from feedback.views.routes import Routes

routes = Routes()


@routes.route("/api-clients", methods=["GET", "POST"])
def api_clients() -> Response | tuple[str, int] | str:
    form = ApiClientForm()
    if form.validate_on_submit():
        client, key = add_api_client(current_user, form.name.data, form.contact_email.data or "",
                                     form.hourly_limit.required_data)
        # Only the key's hash is kept, so this response is the one place the key exists: no
        # redirect to lose it on, and no cache may keep a copy.
        response = current_app.make_response(render_template("admin/api_client_key.html", client=client, key=key))
        response.headers["Cache-Control"] = "no-store"
        return response
    page = render_template("admin/api_clients.html", form=form, rows=api_client_rows())
    return (page, 422) if form.errors else page


@routes.post("/api-clients/<int:client_id>/revoke")
def revoke_api_key(client_id: int) -> Response:
    client = revoke_api_client(current_user, client_id)
    flash(_("The key of “%(name)s” was revoked: the client can no longer file tickets. The tickets it filed stay.",
            name=client.name), "success")
    return redirect(url_for(".api_clients", _anchor=f"client-{client.id}"))
