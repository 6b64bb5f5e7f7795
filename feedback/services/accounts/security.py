"""Sign-in security: failed attempts slow an account down and then lock it; one-time codes
(TOTP, RFC 6238) as a second step, required for the roles that see everything.

Every decision reads the time through `clock()` or a `now` argument, so tests can move time
without touching anything else. Each use case commits once, through its audit entry.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

import pyotp
from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from feedback.database import begin_writing
from feedback.extensions import db
from feedback.models import User, utcnow
from feedback.services import audit

# After this many failures in a row, each attempt waits: 30 s, then 60 s, doubling until the lock.
SLOW_AFTER = 3
FIRST_WAIT = timedelta(seconds=30)
# Codes of the previous and the next 30-second step are accepted: phones' clocks drift.
CODE_WINDOW = 1
TOTP_ISSUER = "PAKN Khánh Hòa"


def clock() -> datetime:
    """The time sign-in decisions use; the one thing tests replace to move time."""
    return utcnow()


class Outcome(StrEnum):
    SIGNED_IN = "signed_in"
    CODE_NEEDED = "code_needed"
    WRONG = "wrong"
    REPLAYED = "replayed"
    REFUSED = "refused"


@dataclass(frozen=True)
class Attempt:
    """What a sign-in step decided. `retry_at` is set when the account must wait or is locked
    (`locked` tells which); `counter` is the time step of the accepted code, never to be
    accepted again in this browser."""

    outcome: Outcome
    user: User | None = None
    retry_at: datetime | None = None
    wait_seconds: int = 0
    locked: bool = False
    counter: int | None = None


class TotpRequired(PermissionError):
    """This role must keep its one-time codes on."""


class WrongPassword(ValueError):
    pass


class WrongCode(ValueError):
    pass


def check_password(email: str, password: str, ip: str, now: datetime | None = None) -> Attempt:
    """The password step. An unknown address gets the same answer as a wrong password."""
    now = now or clock()
    user = find_account(email)
    if user is None or not user.active:
        _spend_hash_time(password)
        _record(user, ip, "login_failure", {"reason": "unknown_email" if user is None else "inactive"}, now, email)
        return Attempt(Outcome.WRONG)
    refused = _refusal(user, ip, now)
    if refused is not None:
        return refused
    if not user.check_password(password):
        return _fail(user, ip, now, "login_failure", Outcome.WRONG)
    if has_totp(user):
        # The counter is reset only by a full sign-in, or knowing the password would reset it
        # between guesses of the code.
        return Attempt(Outcome.CODE_NEEDED, user)
    return _succeed(user, ip, now, counter=None)


def check_code(user_id: int, code: str, ip: str, used_counter: int | None, now: datetime | None = None) -> Attempt:
    """The code step, after the right password. `used_counter` is the step of the last code this
    browser used for this account: a code is refused the second time in the same browser. (Other
    browsers are not covered: that needs the last step stored on the account.)"""
    now = now or clock()
    user = db.session.get(User, user_id)
    if user is None or not user.active or not has_totp(user):
        return Attempt(Outcome.WRONG)
    refused = _refusal(user, ip, now)
    if refused is not None:
        return refused
    counter = matching_counter(user.totp_secret or "", code, now)
    if counter is None:
        return _fail(user, ip, now, "totp_failure", Outcome.WRONG)
    if used_counter is not None and counter <= used_counter:
        return _fail(user, ip, now, "totp_failure", Outcome.REPLAYED)
    return _succeed(user, ip, now, counter=counter)


def find_account(email: str) -> User | None:
    # Staff addresses were not always stored in lower case: compare in lower case.
    return db.session.scalars(select(User).where(func.lower(User.email) == email.strip().lower())).one_or_none()


def matching_counter(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code this is, within the accepted window; None if none matches."""
    if not secret:
        return None
    totp = pyotp.TOTP(secret)
    typed = "".join(code.split())
    current = totp.timecode(now)
    for step in (current, current - CODE_WINDOW, current + CODE_WINDOW):
        # Constant-time comparison: the time taken must not tell how many digits were right. As
        # bytes: compare_digest refuses str with non-ASCII characters (digits of other scripts).
        if hmac.compare_digest(totp.generate_otp(step).encode(), typed.encode()):
            return step
    return None


def has_totp(user: User) -> bool:
    return bool(user.totp_secret and user.totp_confirmed_at)


def totp_required(user: User) -> bool:
    return user.role in current_app.config["TOTP_REQUIRED_ROLES"]


def needs_enrollment(user: User) -> bool:
    return totp_required(user) and not has_totp(user)


def start_totp_enrollment(user: User) -> str:
    """The secret to show for enrollment: a new one the first time, the same one on a reload,
    so that a phone already scanned keeps working."""
    if not user.totp_secret:
        # Shown on a page view, which reads; the other browser tab may have made one meanwhile.
        begin_writing()
        if not user.totp_secret:
            user.totp_secret = pyotp.random_base32()
            db.session.commit()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret or "").provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def confirm_totp(user: User, code: str, ip: str, now: datetime | None = None) -> bool:
    """Switch codes on once the user shows their app makes the right ones."""
    now = now or clock()
    if has_totp(user) or matching_counter(user.totp_secret or "", code, now) is None:
        return False
    user.totp_confirmed_at = now
    _record(user, ip, "totp_enabled", {}, now)
    return True


def disable_totp(user: User, password: str, code: str, ip: str, now: datetime | None = None) -> None:
    now = now or clock()
    if totp_required(user):
        raise TotpRequired(user.role)
    if not user.check_password(password):
        raise WrongPassword()
    if matching_counter(user.totp_secret or "", code, now) is None:
        raise WrongCode()
    user.totp_secret = None
    user.totp_confirmed_at = None
    _record(user, ip, "totp_disabled", {}, now)


def _refusal(user: User, ip: str, now: datetime) -> Attempt | None:
    """While the account waits or is locked, even the right password is refused, unchecked."""
    if user.locked_until is None or user.locked_until <= now:
        return None
    attempt = _waiting(user, now, Outcome.REFUSED)
    _record(user, ip, "login_refused", {"until": user.locked_until.isoformat()}, now)
    return attempt


def _fail(user: User, ip: str, now: datetime, action: str, outcome: Outcome) -> Attempt:
    user.failed_logins = (user.failed_logins or 0) + 1
    failures = user.failed_logins
    if failures >= current_app.config["LOGIN_MAX_FAILURES"]:
        user.locked_until = _next_minute(now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"]))
        action = "login_locked"
    elif failures >= SLOW_AFTER:
        user.locked_until = now + FIRST_WAIT * 2 ** (failures - SLOW_AFTER)
    details: dict[str, int | str] = {"failures": failures}
    if outcome is Outcome.REPLAYED:
        details["reason"] = "code_reused"
    attempt = _waiting(user, now, outcome) if user.locked_until and user.locked_until > now else Attempt(outcome, user)
    _record(user, ip, action, details, now)
    return attempt


def _waiting(user: User, now: datetime, outcome: Outcome) -> Attempt:
    retry_at = user.locked_until or now
    seconds = int(-(-(retry_at - now).total_seconds() // 1))
    locked = (user.failed_logins or 0) >= current_app.config["LOGIN_MAX_FAILURES"]
    return Attempt(outcome, user, retry_at=retry_at, wait_seconds=seconds, locked=locked)


def _succeed(user: User, ip: str, now: datetime, counter: int | None) -> Attempt:
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    _record(user, ip, "login_success", {"code": counter is not None}, now)
    return Attempt(Outcome.SIGNED_IN, user, counter=counter)


def _record(user: User | None, ip: str, action: str, details: dict[str, Any], now: datetime, email: str = "") -> None:
    """Staff accounts' sign-ins, and attempts on addresses no account has, go to the audit log.
    Citizens' do not: their account, once deleted, must leave nothing naming them behind."""
    if user is None or user.is_staff:
        audit.record(user, ip, action, details=details, now=now, actor_email=email)
    else:
        db.session.commit()


def _next_minute(moment: datetime) -> datetime:
    # The lock message names a minute: it must not name one before the lock ends.
    whole = moment.replace(second=0, microsecond=0)
    return whole if whole == moment else whole + timedelta(minutes=1)


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not anyone's password")


def _spend_hash_time(password: str) -> None:
    # Checking a hash takes long (scrypt): skipping it for unknown addresses would tell them apart.
    check_password_hash(_dummy_hash(), password)
