"""Property-based fuzz of the service's OpenAPI schema (schemathesis) against a real server: no 5xx.

The schema is built from ``create_app().openapi()`` at collection time (the served one is checked to
be identical) because schemathesis' fixture-based lazy loading does not work with pytest 9 yet.
Every default check runs except ``positive_data_acceptance``: the service refuses some schema-valid
requests on purpose, namely party names too long in *tokens* for the model (422, model-dependent)
and sizes over limits that are configurable at start-up (413), neither of which a static schema can state.
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from service.app import create_app
from service.process import stance_server

pytestmark = pytest.mark.slow

schema = schemathesis.openapi.from_dict(create_app().openapi())


@pytest.fixture(scope="module")
def base_url(tiny_model_dir):
    with stance_server(tiny_model_dir) as server:
        yield server.base_url


def test_served_schema_is_the_fuzzed_one(base_url):
    assert httpx.get(base_url + "/openapi.json").json() == create_app().openapi()


# One test per operation, each with its own id: schemathesis' own ``@schema.parametrize()`` gives every operation
# the same node id, and pytest-xdist (which runs the suite) then keeps only one of them.
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_no_server_errors_and_responses_match_the_schema(operation, base_url):
    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case):
        case.call_and_validate(base_url=base_url, excluded_checks=[positive_data_acceptance])

    check()
