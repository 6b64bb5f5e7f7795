"""How the engine works, as administrators set it: deadline policies, routing rules and the
working calendar; and the "try it" page, open to all staff, that shows where a submission would
go and when it is due."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from feedback.forms import choices_from
from feedback.forms.admin import (
    EXCEPTION_KINDS,
    FIRST_YEAR,
    LAST_YEAR,
    ExceptionForm,
    PolicyForm,
    RuleForm,
    TryForm,
)
from feedback.i18n import current_language, localized
from feedback.models import Category
from feedback.services.deadlines.calendar import (
    DayAlreadyListed,
    add_calendar_exception,
    calendar_exceptions,
    package_days,
    remove_calendar_exception,
)
from feedback.services.deadlines.forecast import forecast
from feedback.services.deadlines.policies import (
    POLICY_FIELDS,
    CategoryPolicy,
    category_policies,
    default_policy_record,
    save_policy,
    use_default_policy,
)
from feedback.services.intake import catalog
from feedback.services.intake.routing import RuleInUse, RuleRecord, routing_rules, save_rule
from feedback.services.reference import Subject, as_policy
from feedback.views.routes import Routes
from workflows import TIMEZONE, DeadlinePolicy, Urgency

# A moved share from which a rule is flagged: one ticket in five sent to the wrong place.
CHECK_RULE_SHARE = 0.2

routes = Routes()


@routes.get("/policies")
def policies() -> str:
    return render_template(
        "admin/policies.html", rows=category_policies(), default=as_policy(default_policy_record())
    )


@routes.route("/policies/default", methods=["GET", "POST"])
def default_policy() -> Response | tuple[str, int] | str:
    return _policy_page(None, as_policy(default_policy_record()))


@routes.route("/policies/<int:category_id>", methods=["GET", "POST"])
def category_policy(category_id: int) -> Response | tuple[str, int] | str:
    row = _category_row(category_id)
    return _policy_page(row, row.policy)


@routes.post("/policies/<int:category_id>/use-default")
def use_default(category_id: int) -> Response:
    row = _category_row(category_id)
    use_default_policy(current_user, category_id)
    flash(_("“%(name)s” now uses the default policy.", name=localized(row.category, "name")), "success")
    return redirect(url_for(".policies"))


def _category_row(category_id: int) -> CategoryPolicy:
    row = next((r for r in category_policies() if r.category.id == category_id), None)
    if row is None:
        abort(404)
    return row


def _policy_page(row: CategoryPolicy | None, policy: DeadlinePolicy) -> Response | tuple[str, int] | str:
    form = PolicyForm(data={**_figures(policy), "urgency": row.category.urgency if row else None})
    if row is None:
        del form.urgency
    if form.validate_on_submit():
        values = {name: form[name].data for name in POLICY_FIELDS}
        try:
            save_policy(current_user, row.category.id if row else None, values, form.urgency.data if row else None)
        except ValueError:
            form.form_errors.append(_("These figures make a policy the engine cannot use. Check them and save again."))
        else:
            if row is None:
                flash(_("The default policy was saved. New deadlines use it from now on."), "success")
            else:
                flash(_("The policy of “%(name)s” was saved. New deadlines use it from now on.",
                        name=localized(row.category, "name")), "success")
            return redirect(url_for(".policies"))
    page = render_template("admin/policy_form.html", form=form, row=row)
    return (page, 422) if form.errors else page


def _figures(policy: DeadlinePolicy) -> dict[str, int]:
    resolve = {f"{urgency.value}_days": days for urgency, days in policy.resolve_days.items()}
    return {name: resolve[name] if name in resolve else getattr(policy, name) for name in POLICY_FIELDS}


@routes.get("/rules")
def rules() -> str:
    return render_template("admin/rules.html", records=routing_rules())


@routes.route("/rules/new", methods=["GET", "POST"])
def new_rule() -> Response | tuple[str, int] | str:
    return _rule_page(None)


@routes.route("/rules/<int:rule_id>", methods=["GET", "POST"])
def edit_rule(rule_id: int) -> Response | tuple[str, int] | str:
    record = next((r for r in routing_rules() if r.rule.id == rule_id), None)
    if record is None:
        abort(404)
    return _rule_page(record)


def _rule_page(record: RuleRecord | None) -> Response | tuple[str, int] | str:
    rule = record.rule if record else None
    form = RuleForm(data=_rule_data(record) if record else None)
    categories: list[Subject | Category] = list(catalog.active_categories())
    if rule is not None and rule.category is not None and all(c.id != rule.category.id for c in categories):
        # A rule may outlive its subject's place in the form; keep it choosable.
        categories.append(rule.category)
    form.department.choices = choices_from(
        ((d.id, localized(d, "name")) for d in catalog.handling_departments()), _("Choose a department")
    )
    form.category.choices = choices_from(((c.id, localized(c, "name")) for c in categories), _("Any subject"))
    form.area.choices = choices_from(((a.id, a.name) for a in catalog.areas_in_tree_order()), _("The whole province"))
    if form.validate_on_submit():
        try:
            saved = save_rule(
                current_user,
                rule.id if rule else None,
                department_id=int(form.department.data),
                category_id=_optional_id(form.category.data),
                area_id=_optional_id(form.area.data),
                keywords=form.keywords.data or "",
                active=bool(form.active.data),
            )
        except RuleInUse:
            form.department.errors.append(_(
                "This rule has already routed tickets, so its department stays: switch it off and add a new rule."
            ))
        else:
            flash(_("Rule %(id)s was saved. It applies to submissions from now on.", id=saved.id), "success")
            return redirect(url_for(".rules"))
    page = render_template("admin/rule_form.html", form=form, record=record)
    return (page, 422) if form.errors else page


def _rule_data(record: RuleRecord) -> dict[str, Any]:
    rule = record.rule
    return {
        "department": str(rule.department_id),
        "category": str(rule.category_id or ""),
        "area": str(rule.area_id or ""),
        "keywords": rule.keywords,
        "active": rule.active,
    }


def _optional_id(value: str | None) -> int | None:
    return int(value) if value else None


@routes.route("/calendar", methods=["GET", "POST"])
def calendar() -> Response | tuple[str, int] | str:
    year = _year_asked()
    form = ExceptionForm()
    if form.validate_on_submit():
        try:
            added = add_calendar_exception(current_user, form.day.required_data, form.working, form.note.data.strip())
        except DayAlreadyListed:
            form.day.errors.append(_("This date is already an exception. Remove it first to change it."))
        else:
            flash(_("%(day)s was added. Deadlines set from now on count it; deadlines already set keep their dates.",
                    day=format_date(added.day, "dd/MM/yyyy")), "success")
            return redirect(url_for(".calendar", year=added.day.year))
    page = render_template(
        "admin/calendar.html",
        form=form,
        year=year,
        known_days=package_days(year, "vi" if current_language() == "vi" else "en_US"),
        exceptions=calendar_exceptions(year),
        kinds=EXCEPTION_KINDS,
        first_year=FIRST_YEAR,
        last_year=LAST_YEAR,
    )
    return (page, 422) if form.errors else page


@routes.post("/calendar/<int:exception_id>/remove")
def remove_exception(exception_id: int) -> Response:
    year = _year_asked()
    remove_calendar_exception(current_user, exception_id)
    flash(_("The exception was removed. Deadlines already set keep their dates."), "success")
    return redirect(url_for(".calendar", year=year))


def _year_asked() -> int:
    typed = request.args.get("year")
    if typed is None:
        return datetime.now(TIMEZONE).year
    # isdigit() alone takes "²", which int() refuses, as it refuses more than 4,300 digits.
    if not (typed.isascii() and typed.isdigit() and len(typed) == 4) or not FIRST_YEAR <= int(typed) <= LAST_YEAR:
        abort(404)
    return int(typed)


@routes.get("/try")
def try_it() -> tuple[str, int] | str:
    categories, areas = catalog.active_categories(), catalog.filing_areas()
    asked = bool(request.args)
    now = datetime.now(TIMEZONE).replace(second=0, microsecond=0, tzinfo=None)
    form = TryForm(request.args if asked else None, submitted_at=now)
    form.category.choices = choices_from(((c.id, localized(c, "name")) for c in categories), _("Choose a subject"))
    form.area.choices = choices_from(((a.id, a.name) for a in areas), _("Choose a place"))
    result = None
    if asked and form.validate():
        category = next(c for c in categories if str(c.id) == form.category.data)
        area = next(a for a in areas if str(a.id) == form.area.data)
        # The typed time is Vietnam's, whatever the server's own zone.
        submitted_at = form.submitted_at.required_data.replace(tzinfo=TIMEZONE)
        result = forecast(category, area, submitted_at, (form.text.data or "").strip())
    page = render_template(
        "admin/try.html", form=form, result=result, urgency=Urgency(result.clock.urgency) if result else None
    )
    return (page, 422) if form.errors else page


