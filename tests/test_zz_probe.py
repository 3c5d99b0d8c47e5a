import pytest, schemathesis
from hypothesis import settings, HealthCheck
from service.process import stance_server
from service.app import create_app

schema = schemathesis.openapi.from_dict(create_app().openapi())

@pytest.fixture(scope="module")
def base_url(tiny_model_dir):
    with stance_server(tiny_model_dir) as server:
        yield server.base_url

@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_api(case, base_url):
    case.call_and_validate(base_url=base_url)
