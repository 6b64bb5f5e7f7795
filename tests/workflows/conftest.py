"""The helper module beside these tests asserts too: registered here, before any test module
imports it, a failing assertion in it shows its values as one in a test does."""

import pytest

pytest.register_assert_rewrite("tests.workflows.case_builders")
