"""What several test modules here share lives in a module beside them, named for its topic
(dashboard_history.py for test_dashboard_*.py, and so on). A test module imports a fixture from
there under its own name, `from tests.feedback.dashboard_history import history as history`: pytest
finds it in the module, and ruff reads the redundant alias as meant.

Those modules assert too: registered here, before any test module imports them, a failing
assertion in one shows its values as one in a test does."""

import pytest

pytest.register_assert_rewrite(
    "tests.feedback.admin_org_forms",
    "tests.feedback.attachment_uploads",
    "tests.feedback.board_tickets",
    "tests.feedback.citizen_accounts",
    "tests.feedback.dashboard_history",
    "tests.feedback.deadline_sweep",
    "tests.feedback.delivery_processes",
    "tests.feedback.notified_tickets",
    "tests.feedback.open311_api",
    "tests.feedback.open_data_tickets",
    "tests.feedback.rollup_history",
    "tests.feedback.rollup_rebuild",
)
