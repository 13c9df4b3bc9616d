"""Schemathesis over the live server's /openapi.json: every operation, writes included, with the token.

Shared by tests/reliability/test_fuzz_api.py (a bounded run in `make test`) and bench/fuzz_api.py (a longer one).
A case fails when the server answers 5xx, or an answer breaks its own documented schema: an undocumented status
code, content type or header, or a body that does not match the documented model.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.reliability.harness import AUTH

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@dataclass
class FuzzReport:
    """How many cases ran per operation, the status codes seen, and every failure."""

    cases: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.cases.values())

    @property
    def server_errors(self) -> int:
        return sum(n for code, n in self.statuses.items() if code >= 500)


def request_url(case, base: str) -> str:
    """Return the URL, query included, that a case sends."""
    kwargs = case.as_transport_kwargs(base_url=base)
    return requests.Request(kwargs["method"], kwargs["url"], params=kwargs.get("params")).prepare().url or ""


def fuzz(base: str, max_examples: int, seed: int | None = None, deadline_s: float | None = None) -> FuzzReport:
    """Run up to `max_examples` generated cases, valid and invalid data, against each operation."""
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    report = FuzzReport()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if deadline_s is not None and time.monotonic() - started > deadline_s:
            break

        strategy = operation.as_strategy(GenerationMode.POSITIVE)
        if operation.method.upper() != "GET" or operation.query or operation.path_parameters:
            strategy = strategy | operation.as_strategy(GenerationMode.NEGATIVE)  # invalid data too

        @hypothesis.settings(max_examples=max_examples, deadline=None, database=None,
                             phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @hypothesis.given(case=strategy)
        def run(case):  # called right below, so it reads this iteration's `label`
            report.cases[label] += 1
            try:
                response = case.call(base_url=base, headers=AUTH, timeout=120)
            except requests.RequestException as exc:
                if len(report.failures) < 50:
                    report.failures.append(f"{label}: no answer ({exc!r}) to {request_url(case, base)[:300]}")
                return
            report.statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=AUTH)
            except (AssertionError, FailureGroup) as exc:  # one FailureGroup per case: every failed check
                if len(report.failures) < 50:
                    report.failures.append(f"{label}: {str(exc)[:1500]}")

        if seed is not None:
            run = hypothesis.seed(seed)(run)
        run()  # runs now, so `label` is this operation's
    report.seconds = time.monotonic() - started
    return report
