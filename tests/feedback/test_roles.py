"""Who may do what on the ticket page, for every staff role and every action, through HTTP with
real CSRF tokens; other departments reach nothing; and the head's approval of answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.demo import DEMO_PASSWORD
from feedback.extensions import db
from feedback.models import Department, User
from feedback.services.handling.actions import save_draft
from feedback.services.handling.cooperation import request_contribution, transfer_ticket
from tests.conftest import csrf_token
from tests.feedback.test_ticket_page import accept_into, act, department_id, page, stored, textarea, user_id
from workflows import Role

Login = Callable[..., Any]
pytestmark = pytest.mark.usefixtures("english")

ROLES = {
    "intake": "intake@example.org",
    "officer": "officer.sxd@example.org",
    "head": "head.sxd@example.org",
    "leader": "leader@example.org",
    "admin": "admin@example.org",
}
ANSWER = "Sở Xây dựng đã cho vá ổ gà trên đường Trần Phú. Cảm ơn ông/bà đã phản ánh."


def actor(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def set_requires_approval(app: Flask, code: str = "SXD") -> None:
    # Configuration, not a workflow column: administrators set it on their pages.
    with app.app_context():
        db.session.scalars(select(Department).where(Department.code == code)).one().requires_approval = True
        db.session.commit()


def make_head(app: Flask, code: str) -> str:
    email = f"head.{code.lower()}@example.org"
    with app.app_context():
        user = User(email=email, name=email, role=Role.DEPARTMENT_HEAD.value, department_id=department_id(app, code))
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
        db.session.commit()
    return email


def submitted(app: Flask, make_ticket: Callable[..., int]) -> int:
    return make_ticket("GTDB")


def accepted(app: Flask, make_ticket: Callable[..., int]) -> int:
    return accept_into(app, make_ticket("GTDB"))


def transferred_twice(app: Flask, make_ticket: Callable[..., int]) -> int:
    ticket_id = accepted(app, make_ticket)
    with app.app_context():
        admin = actor("admin@example.org")
        transfer_ticket(admin, ticket_id, department_id(app, "SCT"), "Thuộc lĩnh vực thương mại")
        transfer_ticket(admin, ticket_id, department_id(app, "SXD"), "Là công trình xây dựng")
    return ticket_id


def accepted_needing_approval(app: Flask, make_ticket: Callable[..., int]) -> int:
    set_requires_approval(app)
    return accepted(app, make_ticket)


def awaiting_approval(app: Flask, make_ticket: Callable[..., int]) -> int:
    ticket_id = accepted_needing_approval(app, make_ticket)
    with app.app_context():
        save_draft(actor("officer.sxd@example.org"), ticket_id, ANSWER, submit=True)
    return ticket_id


@dataclass(frozen=True)
class Step:
    """One action of the ticket page: how to reach a status where it makes sense, how to post
    it, what on the page offers it, what it changes, and who may do it."""

    setup: Callable[[Flask, Callable[..., int]], int]
    path: str
    prefix: str
    data: Callable[[Flask], dict[str, Any]]
    offer: str
    done: Callable[[Any], bool]
    allowed: frozenset[str]


STEPS = {
    "accept": Step(submitted, "accept", "", lambda app: {"department": department_id(app, "SXD")},
                   'action="/staff/tickets/{id}/accept"', lambda t: t.status == "accepted",
                   frozenset({"intake", "leader", "admin"})),
    "reject": Step(submitted, "reject", "", lambda app: {"reason": "Không thuộc thẩm quyền giải quyết."},
                   'action="/staff/tickets/{id}/reject"', lambda t: t.status == "rejected",
                   frozenset({"intake", "leader", "admin"})),
    "request-info": Step(accepted, "request-info", "", lambda app: {"question": "Xin cho biết vị trí chính xác."},
                         'action="/staff/tickets/{id}/request-info"', lambda t: t.status == "waiting_for_submitter",
                         frozenset({"officer", "head"})),
    "progress": Step(accepted, "progress", "progress", lambda app: {"text": "Đã cử cán bộ kiểm tra hiện trường."},
                     'action="/staff/tickets/{id}/progress"', lambda t: t.progress_at is not None,
                     frozenset({"officer", "head"})),
    "resolve": Step(accepted, "resolve", "", lambda app: {"answer": ANSWER},
                    'action="/staff/tickets/{id}/resolve"', lambda t: t.status == "resolved",
                    frozenset({"officer", "head"})),
    "transfer": Step(accepted, "transfer", "transfer",
                     lambda app: {"department": department_id(app, "SCT"), "reason": "Thuộc lĩnh vực thương mại."},
                     'action="/staff/tickets/{id}/transfer"', lambda t: t.department.code == "SCT",
                     frozenset({"head", "leader", "admin"})),
    "extend": Step(accepted, "extend", "extend", lambda app: {"days": "3", "reason": "Cần khảo sát hiện trường."},
                   'action="/staff/tickets/{id}/extend"', lambda t: t.extension_days == 3,
                   frozenset({"head", "leader", "admin"})),
    "ask-leader": Step(transferred_twice, "ask-leader", "decision",
                       lambda app: {"reason": "Hai sở chưa thống nhất thẩm quyền."},
                       'action="/staff/tickets/{id}/ask-leader"', lambda t: t.decision_requested,
                       frozenset({"head"})),
    "contributions": Step(accepted, "contributions", "contribution",
                          lambda app: {"department": department_id(app, "SCT"), "days": "3",
                                       "request": "Đề nghị cho ý kiến về giấy phép kinh doanh."},
                          'action="/staff/tickets/{id}/contributions"', lambda t: len(t.contributions) == 1,
                          frozenset({"officer", "head"})),
    "assign": Step(accepted, "assign", "assign",
                   lambda app: {"assignee": user_id(app, "officer.sxd@example.org")},
                   'action="/staff/tickets/{id}/assign"', lambda t: t.assignee_id is not None,
                   frozenset({"officer", "head", "leader", "admin"})),
    "note": Step(accepted, "note", "note", lambda app: {"text": "Ghi chú nội bộ cho đồng nghiệp."},
                 'action="/staff/tickets/{id}/note"', lambda t: t.events[-1].action == "note",
                 frozenset({"officer", "head", "leader", "admin"})),
    "note-on-a-submission": Step(submitted, "note", "note", lambda app: {"text": "Đã gọi lại cho người gửi."},
                                 'action="/staff/tickets/{id}/note"', lambda t: t.events[-1].action == "note",
                                 frozenset({"intake", "leader", "admin"})),
    "draft": Step(accepted, "draft", "", lambda app: {"answer": ANSWER, "save": "Save draft"},
                  'name="save"', lambda t: t.answer_state == "draft", frozenset({"officer", "head"})),
    "submit": Step(accepted_needing_approval, "draft", "", lambda app: {"answer": ANSWER, "send": "Send"},
                   'name="send"', lambda t: t.answer_state == "awaiting_approval", frozenset({"officer"})),
    "approve": Step(awaiting_approval, "approve-answer", "approve", lambda app: {},
                    'action="/staff/tickets/{id}/approve-answer"', lambda t: t.answer_state == "approved",
                    frozenset({"head", "leader", "admin"})),
    "return": Step(awaiting_approval, "return-answer", "return",
                   lambda app: {"reason": "Bổ sung thời gian hoàn thành."},
                   'action="/staff/tickets/{id}/return-answer"', lambda t: t.answer_state == "draft",
                   frozenset({"head", "leader", "admin"})),
}


def snapshot(app: Flask, ticket_id: int) -> tuple[Any, ...]:
    t = stored(app, ticket_id)
    return (t.status, t.department_id, len(t.events), t.assignee_id, t.answer_state, t.draft_answer, t.answer,
            t.extension_days, t.resolve_due, t.progress_at, t.decision_requested, len(t.contributions))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", STEPS)
def test_each_role_may_do_exactly_what_the_engine_allows(
    app: Flask, client: FlaskClient, make_ticket: Callable[..., int], login: Login, role: str, name: str
) -> None:
    step = STEPS[name]
    ticket_id = step.setup(app, make_ticket)
    before = snapshot(app, ticket_id)
    login(ROLES[role])
    shown = client.get(f"/staff/tickets/{ticket_id}")
    offered = shown.status_code == 200 and step.offer.format(id=ticket_id) in shown.get_data(as_text=True)

    response = act(client, ticket_id, step.path, step.prefix, step.data(app))

    if role in step.allowed:
        assert offered, f"the page offers {name} to the {role}"
        assert response.status_code == 302, response.get_data(as_text=True)
        assert step.done(stored(app, ticket_id))
    else:
        assert not offered, f"the page does not offer {name} to the {role}"
        assert response.status_code in (302, 403, 404, 422)
        assert snapshot(app, ticket_id) == before


def plausible_form(token: str, contribution_id: int, officer_id: int, department: int) -> dict[str, Any]:
    """Every field of every form of the staff pages, filled in as if the form were valid."""
    fields = {
        "department": department, "reason": "Lý do hợp lệ, đủ dài.", "question": "Xin cho biết thêm chi tiết.",
        "answer": ANSWER, "text": "Nội dung cập nhật đủ dài.", "days": "3", "request": "Đề nghị cho ý kiến cụ thể.",
        "assignee": officer_id, "officer": officer_id, "save": "Save draft", "tickets": "", "action": "assign",
    }
    data: dict[str, Any] = {}
    for prefix in ("", "transfer", "extend", "progress", "decision", "contribution", "assign", "note", "approve",
                   "return", f"answer{contribution_id}"):
        start = f"{prefix}-" if prefix else ""
        data.update({start + field: value for field, value in fields.items()})
        data[f"{start}csrf_token"] = token
    return data


@pytest.mark.parametrize("outsider", ["officer.syt@example.org", "head"])
def test_another_department_reaches_none_of_the_staff_urls(
    app: Flask, client: FlaskClient, make_ticket: Callable[..., int], login: Login, outsider: str
) -> None:
    email = make_head(app, "SYT") if outsider == "head" else outsider
    ticket_id = accepted(app, make_ticket)
    with app.app_context():
        contribution_id = request_contribution(
            actor("head.sxd@example.org"), ticket_id, department_id(app, "SCT"), "Đề nghị cho ý kiến.", 3).id
        code = stored(app, ticket_id).code
    before = snapshot(app, ticket_id)
    login(email)
    token = csrf_token(client.get("/staff/"))
    data = plausible_form(token, contribution_id, user_id(app, email), department_id(app, "SYT"))
    data["tickets"] = str(ticket_id)
    values = {"ticket_id": ticket_id, "contribution_id": contribution_id, "attachment_id": 1}
    adapter = app.url_map.bind("localhost")
    ticket_urls = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("staff."):
            continue
        url = adapter.build(rule.endpoint, {k: v for k, v in values.items() if k in rule.arguments})
        responses = []
        if "GET" in rule.methods:
            responses += [client.get(url), client.get(f"{url}?template=1")]
        if "POST" in rule.methods:
            responses += [client.post(url, data=data), client.post(url, data={**data, "action": "transfer"})]
        for response in responses:
            if "ticket_id" in rule.arguments:
                assert response.status_code in (403, 404), f"{rule.rule}: {response.status_code}"
            else:
                assert code not in response.get_data(as_text=True), f"{rule.rule} shows the ticket"
        ticket_urls += "ticket_id" in rule.arguments
        assert snapshot(app, ticket_id) == before, f"{rule.rule} changed the ticket"
    assert ticket_urls >= 17, "every action of the ticket page was tried"


def test_an_officer_needs_the_heads_approval_to_publish(
    app: Flask, client: FlaskClient, make_ticket: Callable[..., int], login: Login, logout: Callable[[], None]
) -> None:
    ticket_id = accepted_needing_approval(app, make_ticket)
    login("officer.sxd@example.org")
    html = page(client, ticket_id)
    assert "Publish the answer and resolve" not in html and "Send to the head for approval" in html
    assert "the head approves every answer" in html
    direct = act(client, ticket_id, "resolve", "", {"answer": ANSWER})
    assert direct.status_code == 422
    assert "The head must approve the answer" in direct.get_data(as_text=True)
    assert ANSWER in direct.get_data(as_text=True), "what was typed comes back"
    assert stored(app, ticket_id).status == "accepted"

    assert act(client, ticket_id, "draft", "", {"answer": ANSWER, "send": "Send"}).status_code == 302
    assert "Awaiting the head’s approval" in page(client, ticket_id)
    logout()

    login("head.sxd@example.org")
    html = page(client, ticket_id)
    assert "Approve the answer" in html and textarea(html, "answer") == ANSWER
    assert act(client, ticket_id, "return-answer", "return", {"reason": ""}).status_code == 422
    assert act(client, ticket_id, "return-answer", "return", {"reason": "Ghi rõ ngày hoàn thành."}).status_code == 302
    logout()

    login("officer.sxd@example.org")
    html = page(client, ticket_id)
    assert 'data-testid="answer-state">Draft<' in html and "Ghi rõ ngày hoàn thành." in html
    dated = ANSWER + " Hoàn thành ngày 12/3."
    assert act(client, ticket_id, "draft", "", {"answer": dated, "send": "Send"}).status_code == 302
    logout()

    login("head.sxd@example.org")
    assert act(client, ticket_id, "approve-answer", "approve", {}).status_code == 302
    logout()

    login("officer.sxd@example.org")
    html = page(client, ticket_id)
    assert 'data-testid="answer-state">Approved<' in html and "Publish the answer and resolve" in html
    changed = act(client, ticket_id, "resolve", "", {"answer": dated + " Thêm một câu."})
    assert changed.status_code == 422
    assert "differs from the approved answer" in changed.get_data(as_text=True)
    assert dated + " Thêm một câu." in changed.get_data(as_text=True)
    assert stored(app, ticket_id).status == "accepted"
    assert act(client, ticket_id, "resolve", "", {"answer": dated}).status_code == 302
    resolved = stored(app, ticket_id)
    assert (resolved.status, resolved.answer) == ("resolved", dated)
    actions = [e.action for e in resolved.events]
    assert actions[-7:] == ["draft_answer", "submit_answer", "return_answer", "draft_answer", "submit_answer",
                            "approve_answer", "resolve"]


def test_a_head_publishes_directly_even_where_answers_need_approval(
    app: Flask, client: FlaskClient, make_ticket: Callable[..., int], login: Login
) -> None:
    ticket_id = accepted_needing_approval(app, make_ticket)
    login("head.sxd@example.org")
    html = page(client, ticket_id)
    assert "Publish the answer and resolve" in html and "Send to the head for approval" not in html
    sent = act(client, ticket_id, "draft", "", {"answer": ANSWER, "send": "Send"})
    assert sent.status_code == 422 and "Your answer needs no approval" in sent.get_data(as_text=True)
    assert act(client, ticket_id, "resolve", "", {"answer": ANSWER}).status_code == 302
    assert stored(app, ticket_id).status == "resolved"
