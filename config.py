"""Settings, read from the environment.

APP_ENV=development (the default) needs nothing: SQLite and a secret key kept under instance/,
and an in-process stand-in for Redis. APP_ENV=production refuses to start unless SECRET_KEY,
DATABASE_URL and REDIS_URL are all given, so a misconfigured server fails at once instead of
running on throwaway state.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ENVIRONMENTS = ("development", "production")


class ConfigError(RuntimeError):
    pass


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _flag(environ: Mapping[str, str], name: str, *, default: bool) -> bool:
    value = environ.get(name, "").strip().lower()
    if not value:
        return default
    if value not in _TRUE + _FALSE:
        raise ConfigError(f"{name} must be one of {', '.join(_TRUE + _FALSE)}, not {value!r}")
    return value in _TRUE


def sweep_parts(environ: Mapping[str, str]) -> int:
    return _whole_number(environ, "SWEEP_PARTS", default=1, low=1, high=64)


def _whole_number(environ: Mapping[str, str], name: str, *, default: int, low: int, high: int) -> int:
    value = (environ.get(name) or str(default)).strip()
    # isdecimal() alone takes other scripts' digits too.
    if not (value.isascii() and value.isdecimal()) or not low <= int(value) <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, not {value!r}")
    return int(value)


def load_settings(
    instance_path: Path, environ: Mapping[str, str], overrides: Mapping[str, Any]
) -> dict[str, Any]:
    env = environ.get("APP_ENV", "development")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    production = env == "production"

    settings: dict[str, Any] = {
        "APP_ENV": env,
        "SQLALCHEMY_DATABASE_URI": environ.get("DATABASE_URL") or None,
        "REDIS_URL": environ.get("REDIS_URL") or None,
        "SECRET_KEY": environ.get("SECRET_KEY") or None,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "LANGUAGES": ("vi", "en"),
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "feedback" / "translations"),
        # The in-process worker thread runs only where a server is started (`flask serve`),
        # never in one-off commands such as `flask db upgrade`.
        "EMBEDDED_WORKER_INTERVAL": 0.5,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "WTF_CSRF_TIME_LIMIT": None,
        # Attachments are kept outside static/ and served only through access checks.
        "UPLOAD_FOLDER": environ.get("UPLOAD_FOLDER") or str(instance_path / "uploads"),
        "MAX_CONTENT_LENGTH": 55 * 1024 * 1024,
        # X-RateLimit-* on every limited response would cost two more Redis round trips each: a
        # refused request still gets its Retry-After (views/errors.py).
        "RATELIMIT_HEADERS_ENABLED": False,
        # Off only for a load test from a few addresses; the limits below can be raised instead.
        "RATELIMIT_ENABLED": _flag(environ, "RATELIMIT_ENABLED", default=True),
        # Reverse proxies in front: what they add to X-Forwarded-For and -Proto is believed (app.py),
        # so that rate limits and the audit log see the client. One too many lets a client pick its address.
        "TRUSTED_PROXIES": _whole_number(environ, "TRUSTED_PROXIES", default=0, low=0, high=10),
        "SUBMIT_RATE_LIMIT": environ.get("SUBMIT_RATE_LIMIT") or "5 per minute;40 per day",
        "LOOKUP_RATE_LIMIT": environ.get("LOOKUP_RATE_LIMIT") or "20 per minute;200 per day",
        "ACCOUNT_RATE_LIMIT": environ.get("ACCOUNT_RATE_LIMIT") or "10 per minute",
        # The same text again within this many minutes is shown the first ticket.
        "DUPLICATE_WINDOW_MINUTES": 15,
        "PRIVACY_NOTICE_VERSION": "2026-11",
        # Failed sign-ins in a row before an account is locked, and for how long.
        "LOGIN_MAX_FAILURES": int(environ.get("LOGIN_MAX_FAILURES") or 5),
        "LOGIN_LOCK_MINUTES": int(environ.get("LOGIN_LOCK_MINUTES") or 15),
        # Roles that must sign in with a one-time code: they see every ticket or change the rules.
        "TOTP_REQUIRED_ROLES": tuple(
            role.strip()
            for role in (environ.get("TOTP_REQUIRED_ROLES") or "administrator,leader").split(",")
            if role.strip()
        ),
        # Links in messages point here; workers have no request to take the address from.
        "PUBLIC_URL": (environ.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/"),
        "MAIL_FROM": environ.get("MAIL_FROM") or "PAKN <no-reply@localhost>",
        # "smtp" sends through SMTP_HOST; "mailbox" keeps messages on the development mailbox
        # page instead. Without SMTP_HOST the mailbox is the default.
        "MAIL_BACKEND": environ.get("MAIL_BACKEND") or ("smtp" if environ.get("SMTP_HOST") else "mailbox"),
        "SMTP_HOST": environ.get("SMTP_HOST") or None,
        "SMTP_PORT": int(environ.get("SMTP_PORT") or 587),
        # starttls (port 587), ssl (port 465) or none (a relay on a trusted network).
        "SMTP_SECURITY": environ.get("SMTP_SECURITY") or "starttls",
        "SMTP_USERNAME": environ.get("SMTP_USERNAME") or None,
        "SMTP_PASSWORD": environ.get("SMTP_PASSWORD") or None,
        "SMTP_TIMEOUT": float(environ.get("SMTP_TIMEOUT") or 30),
        # "mailbox", "http" (JSON to SMS_HTTP_URL) or "package.module:factory" for a gateway's own API.
        "SMS_BACKEND": environ.get("SMS_BACKEND") or "mailbox",
        "SMS_HTTP_URL": environ.get("SMS_HTTP_URL") or None,
        "SMS_HTTP_TOKEN": environ.get("SMS_HTTP_TOKEN") or None,
        # Seconds before each new attempt after a transient failure; then the message is failed.
        "NOTIFICATION_RETRY_DELAYS": tuple(
            int(delay)
            for delay in (environ.get("NOTIFICATION_RETRY_DELAYS") or "60,300,900,3600,10800,21600").split(",")
        ),
        # How long a worker holds a message it is sending before another may take it over.
        "NOTIFICATION_LEASE_SECONDS": int(environ.get("NOTIFICATION_LEASE_SECONDS") or 120),
        # Events older than this (imports, demo history) tell nobody: the news would be stale.
        "NOTIFICATION_MAX_AGE_HOURS": 24,
        # Working days after an answer: one reminder to rate it, then closing it unrated.
        "RATING_REMINDER_DAYS": int(environ.get("RATING_REMINDER_DAYS") or 3),
        "AUTO_CLOSE_DAYS": int(environ.get("AUTO_CLOSE_DAYS") or 10),
        # Local hour from which department heads get the day's digest.
        "DIGEST_HOUR": int(environ.get("DIGEST_HOUR") or 7),
        # Deadline sweep jobs that workers run side by side (read by `rq cron`'s configuration).
        "SWEEP_PARTS": sweep_parts(environ),
    }
    # Counters shared by every process in production; in one process, memory is enough.
    settings["RATELIMIT_STORAGE_URI"] = settings["REDIS_URL"] or "memory://"
    settings.update(overrides)

    if production:
        missing = [
            name
            for name, key in (
                ("SECRET_KEY", "SECRET_KEY"),
                ("DATABASE_URL", "SQLALCHEMY_DATABASE_URI"),
                ("REDIS_URL", "REDIS_URL"),
            )
            if not settings.get(key)
        ]
        if missing:
            raise ConfigError(f"APP_ENV=production requires {', '.join(missing)} to be set")
        if not environ.get("PUBLIC_URL"):
            raise ConfigError("APP_ENV=production requires PUBLIC_URL, the address links in messages point to")
        if not environ.get("MAIL_BACKEND") and not settings["SMTP_HOST"]:
            # Silently keeping every citizen's messages in a mailbox page would be worse than not starting.
            raise ConfigError("APP_ENV=production requires SMTP_HOST (or MAIL_BACKEND=mailbox, deliberately)")
        if not environ.get("SMS_BACKEND"):
            # The same for text messages: a citizen who asked for an SMS would never get one.
            raise ConfigError(
                "APP_ENV=production requires SMS_BACKEND (a gateway, or SMS_BACKEND=mailbox, deliberately)"
            )
    else:
        if not settings["SQLALCHEMY_DATABASE_URI"]:
            instance_path.mkdir(parents=True, exist_ok=True)
            settings["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance_path / 'pakn.sqlite3'}"
        if not settings["SECRET_KEY"]:
            settings["SECRET_KEY"] = _development_secret(instance_path)
    return settings


def _development_secret(instance_path: Path) -> str:
    # Kept on disk so that sessions and secret links survive a restart of the dev server.
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
