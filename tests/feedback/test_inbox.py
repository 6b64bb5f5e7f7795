"""The staff inbox: order by deadline, the marks and counts, every filter, the search, the pages,
what a department may see whatever it asks for, and the bulk actions, all through HTTP."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from feedback.extensions import db
from feedback.models import Area, Category, Department, Ticket, TicketEvent, User, utcnow
from feedback.services.deadlines.escalation import escalate_late_tickets
from feedback.services.handling.actions import accept_ticket, assign_ticket, request_information
from feedback.services.handling.cooperation import ask_leader_to_decide, transfer_ticket
from feedback.services.handling.inbox import OPEN_STATUSES, InboxQuery, inbox_page
from feedback.services.intake.submissions import Submission, submit_ticket
from tests.conftest import csrf_token, id_of
from workflows import OPEN

Login = Callable[..., Any]
pytestmark = pytest.mark.usefixtures("english")
ROW = re.compile(r'<tr[^>]*>.*?class="inbox-code"><a href="/staff/tickets/(\d+)">.*?</tr>', re.S)


def listed(client: FlaskClient, query: str = "") -> list[int]:
    """The ids of the tickets on the inbox page, in the order shown."""
    response = client.get(f"/staff/{query}")
    assert response.status_code == 200
    return [int(found) for found in ROW.findall(response.get_data(as_text=True))]


def rows(page: str) -> dict[int, str]:
    return {int(match.group(1)): match.group(0) for match in ROW.finditer(page)}


def user(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def accept(app: Flask, ticket_id: int, department: str, now: datetime | None = None) -> int:
    with app.app_context():
        accept_ticket(user("intake@example.org"), ticket_id, id_of(app, Department, code=department), now=now)
    return ticket_id


def submit(app: Flask, title: str, **fields: Any) -> int:
    """A ticket with the submission fields make_ticket does not set."""
    with app.app_context():
        submission = Submission(
            kind=fields.pop("kind", "feedback"),
            category_id=db.session.scalar(select(Category.id).where(Category.code == "GTDB")),
            area_id=db.session.scalar(select(Area.id).where(Area.name == "Phường Nha Trang")),
            title=title,
            description=f"{title}: đề nghị kiểm tra sớm.",
            **fields,
        )
        return submit_ticket(submission, actor=None).ticket.id


def code_of(app: Flask, ticket_id: int) -> str:
    with app.app_context():
        return db.session.get_one(Ticket, ticket_id).code


def bulk(client: FlaskClient, data: dict[str, Any], query: str = "") -> Any:
    token = csrf_token(client.get(f"/staff/{query}"))
    return client.post(f"/staff/bulk{query}", data={**data, "csrf_token": token})


def test_tickets_come_nearest_deadline_first_with_late_soon_and_stopped_marked_and_counted(
    app: Flask, client: FlaskClient, login: Login, make_ticket: Callable[..., int]
) -> None:
    now = utcnow()
    fresh = make_ticket(title="Cột điện nghiêng", now=now)
    oldest = make_ticket(title="Ống nước vỡ", now=now - timedelta(days=30))
    old = make_ticket(title="Rác chưa thu gom", now=now - timedelta(days=10))
    accepted = accept(app, make_ticket(title="Cây đổ chắn đường", now=now), "SXD")
    long_ago = now - timedelta(days=60)
    stopped = accept(app, make_ticket(title="Nắp cống bị mất", now=long_ago), "SXD", now=long_ago)
    with app.app_context():
        request_information(user("officer.sxd@example.org"), stopped, "Xin cho biết vị trí chính xác của nắp cống.",
                            now=long_ago + timedelta(days=1))
        # Its deadline has passed, but the clock is stopped: it is not late.
        assert db.session.get_one(Ticket, stopped).deadline < now
    login("leader@example.org")

    shown = listed(client)
    assert [found for found in shown if found != stopped] == [oldest, old, fresh, accepted]
    page = client.get("/staff/").get_data(as_text=True)
    assert "5 open tickets match" in page
    # The stopped ticket is neither late nor due: its clock waits for the submitter.
    assert "2 overdue" in page and "1 due within 2 working days" in page
    row = rows(page)
    assert "Overdue" in row[oldest] and "Overdue" in row[old]
    assert "Due soon" in row[fresh] and "Overdue" not in row[fresh]
    assert "Due soon" not in row[accepted] and "Overdue" not in row[accepted]
    assert "Stopped" in row[stopped] and "Overdue" not in row[stopped]


def test_each_filter_narrows_the_inbox_and_the_form_keeps_the_choice(
    app: Flask, client: FlaskClient, login: Login, make_ticket: Callable[..., int]
) -> None:
    road = make_ticket("GTDB", "Phường Nha Trang", "Ổ gà đường Trần Phú")
    waste = make_ticket("MTRT", "Phường Nha Trang", "Rác ven biển")
    elsewhere = make_ticket("GTDB", "Xã Cam Lâm", "Đèn đường tắt")
    hotline = submit(app, "Nước sinh hoạt đục", channel="hotline")
    idea = submit(app, "Đề xuất thêm cây xanh", kind="recommendation")
    late = make_ticket(title="Vỉa hè bị chiếm", now=utcnow() - timedelta(days=30))
    given = accept(app, make_ticket(title="Biển báo bị che"), "SXD")
    taken = accept(app, make_ticket(title="Cầu thang hư"), "SXD")
    with app.app_context():
        head = user("head.sxd@example.org")
        assign_ticket(head, given, user("officer.sxd@example.org").id)
        assign_ticket(head, taken, head.id)
        escalate_late_tickets()
    login("leader@example.org")
    everything = listed(client)
    assert sorted(everything) == sorted([road, waste, elsewhere, hotline, idea, late, given, taken])

    category = id_of(app, Category, code="MTRT")
    assert listed(client, f"?category={category}") == [waste]
    assert listed(client, f"?area={id_of(app, Area, name='Xã Cam Lâm')}") == [elsewhere]
    # A place higher up the tree holds the places below it.
    assert sorted(listed(client, f"?area={id_of(app, Area, name='Tỉnh Khánh Hòa')}")) == sorted(everything)
    assert sorted(listed(client, "?status=accepted")) == sorted([given, taken])
    assert listed(client, "?channel=hotline") == [hotline]
    assert listed(client, "?kind=recommendation") == [idea]
    assert listed(client, "?overdue=y") == [late]
    assert listed(client, "?attention=escalated") == [late]
    assert listed(client, f"?assignee={id_of(app, User, email='officer.sxd@example.org')}") == [given]
    assert sorted(listed(client, "?assignee=none")) == sorted(set(everything) - {given, taken})
    # A value no choice has is ignored, as if the filter were not set.
    assert listed(client, "?status=closed&channel=pigeon") == everything

    page = client.get(f"/staff/?category={category}&kind=feedback&overdue=y").get_data(as_text=True)
    assert f'<option selected value="{category}">' in page
    assert '<option selected value="feedback">' in page
    assert re.search(r'<input checked id="overdue" name="overdue" type="checkbox"', page)


def test_decision_requested_filter(
    app: Flask, client: FlaskClient, login: Login, make_ticket: Callable[..., int]
) -> None:
    waiting = accept(app, make_ticket(title="Tranh chấp thẩm quyền"), "SXD")
    other = accept(app, make_ticket(title="Đường ngập nước"), "SXD")
    with app.app_context():
        leader = user("leader@example.org")
        for department in ("SCT", "SXD"):
            transfer_ticket(leader, waiting, id_of(app, Department, code=department), "Chuyển đúng đơn vị")
        ask_leader_to_decide(user("head.sxd@example.org"), waiting, "Hai sở chưa thống nhất")
    login("leader@example.org")
    assert sorted(listed(client)) == sorted([waiting, other])
    assert listed(client, "?attention=decision") == [waiting]


def test_search_by_code_words_without_accents_email_and_phone(
    app: Flask, client: FlaskClient, login: Login, make_ticket: Callable[..., int]
) -> None:
    lamp = make_ticket(title="Đèn tín hiệu hỏng ở ngã tư")
    tree = make_ticket(title="Cây xanh đổ trên đường")
    written = submit(app, "Xin cấp phép sửa nhà", email="an.nguyen@example.org", phone="0905123456")
    login("intake@example.org")
    code = code_of(app, lamp)
    assert listed(client, f"?q={code}") == [lamp]
    # Typed in lower case without the dashes, as people read it over the phone.
    assert listed(client, f"?q={code.replace('-', '').lower()}") == [lamp]
    assert listed(client, "?q=den+tin+hieu") == [lamp]
    assert listed(client, "?q=DUONG") == [tree]
    assert listed(client, "?q=cay+hieu") == []
    assert listed(client, "?q=An.Nguyen@example.org") == [written]
    assert listed(client, "?q=nguyen@example.org") == []
    assert listed(client, "?q=0905+123+456") == [written]
    page = client.get("/staff/?q=den+tin+hieu").get_data(as_text=True)
    assert 'value="den tin hieu"' in page


def test_pages_of_fifty_in_a_stable_order(
    app: Flask, client: FlaskClient, login: Login, make_ticket: Callable[..., int]
) -> None:
    now = utcnow()
    made = [make_ticket(title=f"Phản ánh số {number}", now=now - timedelta(days=number % 4)) for number in range(53)]
    login("intake@example.org")
    first = listed(client)
    page = client.get("/staff/").get_data(as_text=True)
    assert len(first) == 50 and "53 open tickets match" in page and "page 1 of 2" in page
    assert 'href="/staff/?page=2"' in page
    second = listed(client, "?page=2")
    assert len(second) == 3 and sorted(first + second) == sorted(made)
    assert "page 2 of 2" in client.get("/staff/?page=2").get_data(as_text=True)
    # Nearest deadline first, then the oldest id.
    with app.app_context():
        deadlines = {t.id: t.deadline for t in db.session.scalars(select(Ticket).where(Ticket.id.in_(made)))}
    assert first + second == sorted(made, key=lambda ticket_id: (deadlines[ticket_id], ticket_id))
    assert listed(client, "?page=99") == second


def test_assigned_to_me_is_one_click_away(
    app: Flask, client: FlaskClient, login: Login, make_ticket: Callable[..., int]
) -> None:
    mine = accept(app, make_ticket(title="Đèn đường tắt cả tuần"), "SXD")
    accept(app, make_ticket(title="Vỉa hè bị lấn chiếm"), "SXD")
    with app.app_context():
        officer = user("officer.sxd@example.org")
        assign_ticket(officer, mine, officer.id)
    login("officer.sxd@example.org")
    assert len(listed(client)) == 2
    assert 'href="/staff/?assignee=me"' in client.get("/staff/").get_data(as_text=True)
    assert listed(client, "?assignee=me") == [mine]


def test_a_department_never_sees_another_departments_tickets_whatever_it_asks(
    app: Flask, client: FlaskClient, login: Login, make_ticket: Callable[..., int]
) -> None:
    own = accept(app, make_ticket("GTDB", "Phường Nha Trang", "Ổ gà trước chợ"), "SXD")
    other = accept(app, make_ticket("MTRT", "Xã Cam Lâm", "Khói từ nhà máy"), "SNNMT")
    other_code = code_of(app, other)
    login("officer.sxd@example.org")
    assert listed(client) == [own]
    for query in (
        f"?category={id_of(app, Category, code='MTRT')}",
        f"?area={id_of(app, Area, name='Xã Cam Lâm')}",
        f"?q={other_code}",
        "?q=khoi+nha+may",
        "?status=accepted&assignee=none",
        "?page=2",
    ):
        assert other not in listed(client, query), query
    assert "0 open tickets match" in client.get(f"/staff/?q={other_code}").get_data(as_text=True)


def test_bulk_assign_does_each_ticket_and_reports_the_one_refused(
    app: Flask, client: FlaskClient, login: Login, make_ticket: Callable[..., int]
) -> None:
    first = accept(app, make_ticket(title="Ổ gà đường Lê Lợi"), "SXD")
    second = accept(app, make_ticket(title="Ổ gà đường Thái Nguyên"), "SXD")
    foreign = accept(app, make_ticket(title="Giá điện tăng bất thường"), "SCT")
    officer = id_of(app, User, email="officer.sxd@example.org")
    login("leader@example.org")
    response = bulk(client, {"tickets": [first, foreign, second], "action": "assign", "officer": officer})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 tickets were assigned." in page
    assert f"Not done for 1: {code_of(app, foreign)} (the officer or department" in page
    with app.app_context():
        assignees = {t.id: t.assignee_id for t in db.session.scalars(select(Ticket))}
    assert (assignees[first], assignees[second], assignees[foreign]) == (officer, officer, None)


def test_bulk_transfer_with_a_reason(
    app: Flask, client: FlaskClient, login: Login, make_ticket: Callable[..., int]
) -> None:
    tickets = [accept(app, make_ticket(title=f"Chợ tự phát số {n}"), "SXD") for n in range(3)]
    sct = id_of(app, Department, code="SCT")
    login("head.sxd@example.org")
    missing = bulk(client, {"tickets": tickets[:2], "action": "transfer", "department": sct})
    assert missing.status_code == 422 and "Give the reason for the transfer." in missing.get_data(as_text=True)
    nothing = bulk(client, {"action": "transfer", "department": sct, "reason": "Thuộc ngành công thương"})
    assert nothing.status_code == 422 and "Tick at least one ticket." in nothing.get_data(as_text=True)

    response = bulk(
        client,
        {"tickets": tickets[:2], "action": "transfer", "department": sct, "reason": "Thuộc ngành công thương"},
        query="?status=accepted",
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/?status=accepted")
    assert "2 tickets were transferred." in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        moved = db.session.scalars(select(Ticket).where(Ticket.id.in_(tickets))).all()
        reasons = db.session.scalars(select(TicketEvent.reason).where(TicketEvent.action == "transfer")).all()
        assert sorted(t.department.code for t in moved) == ["SCT", "SCT", "SXD"]
    assert reasons == ["Thuộc ngành công thương"] * 2
    assert listed(client) == [tickets[2]]


def test_officers_get_no_bulk_controls_and_cannot_post_them(
    app: Flask, client: FlaskClient, login: Login, make_ticket: Callable[..., int]
) -> None:
    ticket = accept(app, make_ticket(title="Cột đèn nghiêng"), "SXD")
    login("officer.sxd@example.org")
    page = client.get("/staff/").get_data(as_text=True)
    assert listed(client) == [ticket]
    assert 'name="tickets"' not in page and "/staff/bulk" not in page and "With the ticked tickets" not in page
    refused = bulk(
        client,
        {
            "tickets": [ticket],
            "action": "transfer",
            "department": id_of(app, Department, code="SCT"),
            "reason": "Không thuộc thẩm quyền",
        },
    )
    assert refused.status_code == 403
    with app.app_context():
        assert db.session.get_one(Ticket, ticket).department.code == "SXD"


def test_heads_get_the_bulk_controls_with_labelled_tick_boxes(
    app: Flask, client: FlaskClient, login: Login, make_ticket: Callable[..., int]
) -> None:
    ticket = accept(app, make_ticket(title="Cột đèn nghiêng"), "SXD")
    login("head.sxd@example.org")
    page = client.get("/staff/").get_data(as_text=True)
    assert f'<label for="tick-{ticket}"><span class="visually-hidden">Select {code_of(app, ticket)}</span>' in page
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "the filters and the bulk form share an id"
    assert 'action="/staff/bulk?page=1"' in page and 'value="assign"' in page and 'value="transfer"' in page


def test_the_inbox_lists_every_open_status_and_can_walk_its_index_on_sqlite(
    app: Flask, make_ticket: Callable[..., int]
) -> None:
    assert set(OPEN_STATUSES) == set(OPEN)
    make_ticket(title="Đèn tín hiệu hỏng")
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        statements.append((statement, parameters))

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the partial index's use is checked on SQLite, where the status list must match it")
        event.listen(Engine, "before_cursor_execute", record)
        try:
            inbox_page(user("leader@example.org"), InboxQuery(), 1)
        finally:
            event.remove(Engine, "before_cursor_execute", record)
        page_query, parameters = next((s, p) for s, p in statements if "ORDER BY coalesce" in s)
        # SQLite refuses the query ("no query solution") if the partial index cannot serve it.
        forced = page_query.replace("FROM ticket", "FROM ticket INDEXED BY ix_ticket_open_deadline", 1)
        assert forced != page_query
        assert db.session.connection().exec_driver_sql(forced, parameters).all()
