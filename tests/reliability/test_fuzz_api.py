"""Schemathesis against the live server: no 5xx, and no answer that breaks its own documented schema.

A bounded run (about 40 cases per operation); bench/fuzz_api.py runs a longer one.
"""

from __future__ import annotations

import datetime

import httpx
import pytest
import schemathesis
from schemathesis.core.failures import FailureGroup

from tests.api.conftest import serve_copy
from tests.reliability.fuzz_api import CHECKS, fuzz

EXAMPLES = 40


@pytest.fixture(scope="module")
def fuzz_server(bundled_index, tmp_path_factory):
    """A server over its own copy of the index, since the fuzzer writes and deletes."""
    yield from serve_copy(bundled_index, tmp_path_factory, "fuzz")


def test_every_operation_answers_within_its_schema(fuzz_server):
    report = fuzz(fuzz_server, EXAMPLES)
    operations = {f"{method.upper()} {path}" for path, ops in httpx.get(f"{fuzz_server}/openapi.json").json()["paths"].items()
                  for method in ops}
    assert set(report.cases) == operations  # every endpoint, writes included
    assert report.total >= 300
    assert report.server_errors == 0, report.statuses
    assert report.failures == []
    assert 401 not in report.statuses  # the writes were sent with the token and reached the handlers
    assert httpx.get(f"{fuzz_server}/health").status_code == 200


def test_the_checks_catch_an_answer_that_breaks_its_schema(fuzz_server):
    schema = schemathesis.openapi.from_url(f"{fuzz_server}/openapi.json")
    case = schema["/health"]["GET"].Case()
    for status, body in ((200, {"status": "fine, thanks"}), (500, {"detail": "boom"})):
        answer = httpx.Response(status, json=body, request=httpx.Request("GET", f"{fuzz_server}/health"))
        answer.elapsed = datetime.timedelta(0)
        with pytest.raises(FailureGroup):
            case.validate_response(answer, checks=CHECKS)
