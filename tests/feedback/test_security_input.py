"""Input that must not lead off the site or break a page (ASVS 5.0, level 2): the `next` of the
sign-in and of the language switch, written in every way a browser reads as another site; and
control characters, NUL, digits of other scripts and impossible ids, each answered with the
page's own error in the reader's language rather than a 500."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse
from wtforms import Form
from wtforms.fields.core import UnboundField

import feedback
from feedback.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from feedback.extensions import db
from feedback.forms.base import BaseFilterForm, BaseForm
from feedback.forms.submission import SubmissionForm
from feedback.models import Ticket
from tests.feedback.citizen_accounts import PASSWORD, PostForm, english, in_vietnamese, text
from tests.feedback.citizen_accounts import make_citizen as make_citizen
from tests.feedback.test_submissions import valid_form as valid_form

CITIZEN = "minh@example.org"
REFUSED_CHARACTERS = "This contains invisible control characters, which cannot be stored. Check it and send it again."
HUGE = "9" * 25
ARABIC_INDIC_CODE = "\u0661\u0662\u0663\u0664\u0665\u0666"
FULLWIDTH_CODE = "\uff11\uff12\uff13\uff14\uff15\uff16"
# Superscript, Arabic-Indic, Persian, full-width and N'Ko digits: str.isdigit() takes them all,
# int() all but the superscripts.
OTHER_DIGITS = "\u00b2\u00b3\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u06f4\u06f5\uff10\uff19\u07c2"

# What an attacker puts after `next=` in a link, percent-encoded as it travels: control
# characters, backslashes, slashes and schemes, encoded once and twice.
OFF_SITE_TARGETS = [
    "/%09/evil.example", "/%0d/evil.example", "/%0a/evil.example", "%09//evil.example", "/%0d%0a/evil.example",
    "%0d%0a//evil.example", "/%00/evil.example", "%20//evil.example", "%0b//evil.example",
    "/%5Cevil.example", "%5C%5Cevil.example", "%5C/evil.example", "/%5C/evil.example",
    "//evil.example", "///evil.example", "//[evil.example", "%2F%2Fevil.example", "%2F%5Cevil.example",
    "/%252F/evil.example", "%252F%252Fevil.example", "/%255Cevil.example", "/%2509/evil.example",
    "%2F%250d%250a%2Fevil.example",
    "https://evil.example", "https:evil.example", "https:/evil.example", "HTTPS://evil.example/account/",
    "javascript:alert(1)", "JaVaScRiPt%3Aalert(1)", "java%09script:alert(1)",
]


def lands_on_this_site(location: str) -> bool:
    """Whether a browser following this Location stays here: it drops tab, CR and LF anywhere
    and C0 controls and spaces at either end, and reads a backslash as a slash."""
    read = re.sub(r"[\t\r\n]", "", location).strip("".join(map(chr, range(0x21)))).replace("\\", "/")
    parts = urlsplit(read)
    return not (parts.scheme or parts.netloc or re.search(r"[\x00-\x1f\x7f]", location)) and (
        read.startswith("/") and not read.startswith("//")
    )


def test_the_check_of_the_tests_reads_locations_as_browsers_do() -> None:
    assert lands_on_this_site("/account/?q=%2F%2F")
    for location in ("//evil.example", "/\t/evil.example", "\\\\evil.example", " //evil.example", "https://e.x"):
        assert not lands_on_this_site(location), location


@pytest.mark.parametrize("target", OFF_SITE_TARGETS)
def test_signing_in_never_leads_off_the_site(
    client: FlaskClient, post_form: PostForm, make_citizen: Callable[[str], int], target: str
) -> None:
    make_citizen(CITIZEN)
    response = post_form(f"/login?next={target}", {"email": CITIZEN, "password": PASSWORD}, page="/login")
    assert response.status_code == 302
    assert lands_on_this_site(response.headers["Location"]), response.headers["Location"]
    assert response.headers["Location"] == "/account/"


@pytest.mark.parametrize("target", ["/%09/evil.example", "/%5Cevil.example", "%0d%0a//evil.example"])
def test_the_code_step_never_leads_off_the_site(client: FlaskClient, post_form: PostForm, target: str) -> None:
    password_step = post_form(f"/login?next={target}", {"email": "admin@example.org", "password": DEMO_PASSWORD},
                              page="/login")
    assert password_step.headers["Location"] == "/login/code"
    response = post_form("/login/code", {"code": pyotp.TOTP(DEMO_TOTP_SECRET).now()})
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"


@pytest.mark.parametrize("target", OFF_SITE_TARGETS)
def test_the_language_switch_never_leads_off_the_site(client: FlaskClient, target: str) -> None:
    response = client.get(f"/language/en?next={target}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/", response.headers["Location"]


def test_line_breaks_in_next_add_no_header(client: FlaskClient) -> None:
    # Werkzeug refuses a header with a line break (a 500): the path goes on without them.
    response = client.get("/language/en?next=/board/%0d%0aSet-Cookie:%20stolen=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/board/Set-Cookie:%20stolen=1"
    assert "stolen" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("/", "/"),
        ("/board/", "/board/"),
        ("/board/%3Fq%3D%25C4%2591%25C6%25B0%25E1%25BB%259Dng%26page%3D2", "/board/?q=%C4%91%C6%B0%E1%BB%9Dng&page=2"),
        ("/privacy%23rights", "/privacy#rights"),
        ("/javascript:alert(1)", "/javascript:alert(1)"),
    ],
)
def test_the_language_switch_still_goes_back_to_the_page_it_was_on(
    client: FlaskClient, target: str, location: str
) -> None:
    response = client.get(f"/language/en?next={target}")
    assert response.headers["Location"] == location


def test_signing_in_still_goes_on_to_a_page_of_the_site(
    client: FlaskClient, post_form: PostForm, make_citizen: Callable[[str], int]
) -> None:
    make_citizen(CITIZEN)
    response = post_form("/login?next=/account/profile%3Ftab%3D1", {"email": CITIZEN, "password": PASSWORD},
                         page="/login")
    assert response.headers["Location"] == "/account/profile?tab=1"


def test_a_nul_in_the_sign_in_form_is_refused_in_the_readers_language(
    app: Flask, client: FlaskClient, post_form: PostForm, make_citizen: Callable[[str], int]
) -> None:
    make_citizen(CITIZEN)
    response = post_form("/login", {"email": "minh\x00@example.org", "password": PASSWORD})
    assert response.status_code == 422
    assert in_vietnamese(app, REFUSED_CHARACTERS) in text(response)
    english(client)
    response = post_form("/login", {"email": CITIZEN, "password": f"{PASSWORD}\x00"})
    assert response.status_code == 422 and REFUSED_CHARACTERS in text(response)
    assert client.get("/account/").status_code == 302, "not signed in"


@pytest.fixture
def citizen(make_citizen: Callable[[str], int]) -> int:
    return make_citizen(CITIZEN)


@pytest.mark.parametrize("field", ["title", "description", "area", "name", "address", "email"])
def test_a_nul_in_a_submission_is_refused_next_to_its_field(
    app: Flask, client: FlaskClient, post_form: PostForm, valid_form: dict[str, Any], field: str
) -> None:
    english(client)
    sent = {**valid_form, "name": "Trần Văn Minh", "address": "12 Trần Phú", "email": "minh@example.org"}
    sent[field] = sent[field][:3] + "\x00" + sent[field][3:]
    response = post_form("/submit", sent)
    assert response.status_code == 422
    page = text(response)
    assert REFUSED_CHARACTERS in page
    # The field shows what can be stored, so that sending again works.
    assert "\x00" not in page
    assert client.get("/submitted").status_code == 302, "nothing was submitted"


def test_line_breaks_and_tabs_are_kept_in_a_description_but_not_in_a_title(
    app: Flask, client: FlaskClient, post_form: PostForm, valid_form: dict[str, Any]
) -> None:
    english(client)
    described = {**valid_form, "description": valid_form["description"] + "\r\n\tThêm một dòng."}
    assert post_form("/submit", described).status_code == 302
    titled = {**valid_form, "title": "Đặt thêm\tthùng rác mới"}
    response = post_form("/submit", titled)
    assert response.status_code == 422 and REFUSED_CHARACTERS in text(response)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"phone": "0²²²²²²²²²"}, "Enter a Vietnamese phone number, like 0905 123 456."),
        ({"phone": "٠٩٠٥١٢٣٤٥٦"}, "Enter a Vietnamese phone number, like 0905 123 456."),
        ({"submitter_type": "business", "business_name": "Công ty A", "tax_code": "٠١٠٠١٠٩١٠٦"},
         "A tax code has only digits: 10, or 13 for a branch."),
        ({"submitter_type": "business", "business_name": "Công ty A", "tax_code": "0²00109106"},
         "A tax code has only digits: 10, or 13 for a branch."),
        ({"category": "²"}, "Choose the subject of your submission."),
    ],
)
def test_digits_of_other_scripts_are_not_digits_in_a_submission(
    client: FlaskClient, post_form: PostForm, valid_form: dict[str, Any], changes: dict[str, str], message: str
) -> None:
    english(client)
    response = post_form("/submit", {**valid_form, **changes})
    assert response.status_code == 422
    assert message in text(response)


def test_the_similar_tickets_lookup_takes_any_text(client: FlaskClient, database: None) -> None:
    response = client.get("/submit/similar", query_string={
        "title": "Đèn đường hỏng\x00", "description": "Đèn đường trước nhà hỏng đã lâu\x00", "area": "Phường Nha Trang",
        "category": "²"})
    assert response.status_code == 200


@pytest.fixture
def ticket_code(app: Flask, make_ticket: Callable[..., int]) -> str:
    ticket_id = make_ticket()
    with app.app_context():
        return db.session.get_one(Ticket, ticket_id).code


def test_a_tracking_link_with_a_non_ascii_key_is_not_found(client: FlaskClient, ticket_code: str) -> None:
    for secret in ("é", "%C3%A9", "%00", "ключ"):
        assert client.get(f"/track/{ticket_code}/{secret}").status_code == 404, secret


def test_the_tracking_form_with_a_non_ascii_key_says_nothing_matches(
    client: FlaskClient, post_form: PostForm, ticket_code: str
) -> None:
    english(client)
    response = post_form("/track", {"code": ticket_code, "secret": "khóa bí mật"})
    assert response.status_code == 422
    assert "No submission matches this code and secret key" in text(response)


def test_a_code_in_other_digits_is_refused_as_not_a_code(client: FlaskClient, post_form: PostForm) -> None:
    english(client)
    step = post_form("/login", {"email": "admin@example.org", "password": DEMO_PASSWORD})
    assert step.headers["Location"] == "/login/code"
    for code in (ARABIC_INDIC_CODE, ARABIC_INDIC_CODE[:3] + " " + ARABIC_INDIC_CODE[3:], FULLWIDTH_CODE, "12345\x00"):
        response = post_form("/login/code", {"code": code})
        assert response.status_code == 422, code
        assert "The code has 6 digits, for example 123456." in text(response) or REFUSED_CHARACTERS in text(response)
    assert client.get("/staff/").status_code == 302, "not signed in"


def test_enrolling_with_a_code_in_other_digits_is_refused(
    client: FlaskClient, post_form: PostForm, login: Callable[..., TestResponse]
) -> None:
    english(client)
    login("officer.sxd@example.org")
    response = post_form("/security/confirm", {"code": ARABIC_INDIC_CODE}, page="/security")
    assert response.status_code == 422
    assert "The code has 6 digits, for example 123456." in text(response)


def test_the_mailbox_filter_refuses_a_nul(client: FlaskClient, database: None) -> None:
    english(client)
    response = client.get("/dev/mailbox/?to=a%00b")
    assert response.status_code == 422 and REFUSED_CHARACTERS in text(response)


@pytest.mark.parametrize(
    "url",
    [
        f"/staff/tickets/{HUGE}",
        f"/staff/tickets/{2**31}",
        f"/admin/users/{HUGE}",
        f"/admin/areas/{HUGE}",
        f"/admin/categories/{HUGE}",
        f"/dashboard/departments/{HUGE}",
        f"/dev/mailbox/{HUGE}",
        "/admin/calendar?year=%C2%B2",
        f"/admin/calendar?year={'9' * 5000}",
    ],
)
def test_an_id_no_row_can_have_is_not_found(client: FlaskClient, admin: None, url: str) -> None:
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        f"/dashboard/tickets?category={HUGE}&area={HUGE}",
        f"/dashboard/tickets?department={HUGE}",
        "/dashboard/tickets?category=%C2%B2",
        "/admin/users?q=a%00b",
        "/admin/audit/?actor=a%00b",
    ],
)
def test_filters_no_row_can_match_show_the_page(client: FlaskClient, admin: None, url: str) -> None:
    assert client.get(url).status_code in (200, 422)


def test_every_whole_number_in_an_address_is_a_row_id(app: Flask) -> None:
    """What lets a URL's <int:…> larger than any id be a 404 before the view runs."""
    numbers = [(rule.rule, name) for rule in app.url_map.iter_rules()
               for name in re.findall(r"<int(?:\([^)]*\))?:(\w+)>", rule.rule)]
    assert len(numbers) > 30
    assert [(rule, name) for rule, name in numbers if not name.endswith("_id")] == []


def project_forms() -> Iterator[type[Form]]:
    for module in pkgutil.walk_packages(feedback.__path__, "feedback."):
        importlib.import_module(module.name)
    seen: list[type[Form]] = [Form]
    while seen:
        form = seen.pop()
        seen += form.__subclasses__()
        if form.__module__.startswith("feedback."):
            yield form


def test_every_form_refuses_control_characters() -> None:
    forms = list(project_forms())
    assert len(forms) > 30
    assert [form.__name__ for form in forms if not issubclass(form, BaseForm | BaseFilterForm)] == []


# Text as people and robots send it: pieces of any text but lone surrogates (which no UTF-8 form
# carries), between control characters and digits of other scripts. Pieces rather than an
# alphabet, so that NUL comes up in about one text in three.
tricky_text = st.lists(
    st.one_of(
        st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=8),
        st.sampled_from("\x00\x00\x00\x01\x08\t\n\x0b\x0c\r\x1b\x1f\x7f\x85\u2028"),
        st.sampled_from(OTHER_DIGITS),
    ),
    max_size=8,
).map("".join)
# Short strings of digits of any script, where a number or a code is expected.
numberish_text = st.text(st.sampled_from(OTHER_DIGITS + "0123456789"), min_size=1, max_size=13)
any_text = st.one_of(tricky_text, numberish_text)


def text_near(value: str) -> st.SearchStrategy[str]:
    """Any text, or the value with text slipped in: the rest of the value passes the other
    checks, so that the text travels as far as a valid form's would."""
    return st.one_of(
        tricky_text,
        numberish_text,
        st.tuples(any_text, st.integers(0, len(value))).map(lambda cut: value[: cut[1]] + cut[0] + value[cut[1] :]),
    )


UNBROKEN = {200, 302, 400, 422}
EXPLORE = settings(max_examples=60, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


# Every field of the public form, the extra field of the subject chosen, and the button pressed.
SUBMISSION_FIELDS = [
    *(name for name, value in vars(SubmissionForm).items() if isinstance(value, UnboundField)),
    "x__MTRT__waste_type",
    "action",
]


@pytest.mark.parametrize("field", SUBMISSION_FIELDS)
@settings(EXPLORE, max_examples=40)
@given(changes=st.data())
def test_no_text_in_any_submission_field_breaks_the_page(
    client: FlaskClient, post_form: PostForm, valid_form: dict[str, Any], field: str, changes: st.DataObject
) -> None:
    # The field, and now and then one or two others with it.
    others = changes.draw(st.lists(st.sampled_from(SUBMISSION_FIELDS), max_size=2, unique=True))
    names = dict.fromkeys([field, *others])
    sent = {name: changes.draw(text_near(str(valid_form.get(name, ""))), label=name) for name in names}
    response = post_form("/submit", {**valid_form, **sent})
    assert response.status_code in UNBROKEN, (sent, response.status_code)


@EXPLORE
@given(
    email=st.sampled_from(["admin@example.org", CITIZEN, "someone@example.org"]).flatmap(text_near),
    password=st.sampled_from([DEMO_PASSWORD, PASSWORD]).flatmap(text_near),
)
def test_no_text_in_the_sign_in_form_breaks_the_page(
    post_form: PostForm, logout: Callable[[], None], citizen: int, email: str, password: str
) -> None:
    response = post_form("/login", {"email": email, "password": password})
    assert response.status_code in UNBROKEN, (email, password, response.status_code)
    if response.headers.get("Location") == "/account/":
        # An address is compared trimmed and in lower case: " MINH@example.org" is the citizen.
        logout()
