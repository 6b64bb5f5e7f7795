"""Waiting for what a test started elsewhere (a server that answers, a process that is gone),
polling, with a deadline that fails the test and says what it waited for."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(condition: Callable[[], T], what: str, timeout: float = 20, details: Callable[[], str] = str) -> T:
    """Poll until `condition()` is true and return it; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{details()}")
        time.sleep(0.05)
