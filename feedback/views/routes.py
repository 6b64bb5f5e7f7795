"""Views of one blueprint spread over several modules.

Each module records its routes and hooks on a `Routes` table; the package's `__init__` owns the
blueprint and adds every module's table to it. No module imports the blueprint back, so a
package of views has no import cycle and no imports at the bottom of a module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint

F = TypeVar("F", bound=Callable[..., Any])


class Routes:
    def __init__(self) -> None:
        self._deferred: list[Callable[[Blueprint], object]] = []

    def route(self, rule: str, **options: Any) -> Callable[[F], F]:
        def record(view: F) -> F:
            self._deferred.append(lambda bp: bp.add_url_rule(rule, view_func=view, **options))
            return view

        return record

    def get(self, rule: str, **options: Any) -> Callable[[F], F]:
        return self.route(rule, methods=["GET"], **options)

    def post(self, rule: str, **options: Any) -> Callable[[F], F]:
        return self.route(rule, methods=["POST"], **options)

    def context_processor(self, func: F) -> F:
        self._deferred.append(lambda bp: bp.context_processor(func))
        return func

    def register(self, bp: Blueprint) -> None:
        for add in self._deferred:
            add(bp)
