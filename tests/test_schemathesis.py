"""The OpenAPI document fuzzed by schemathesis (issue 11, quality.md): every operation of /api/v1/_openapi, with
bodies, queries and path values drawn from its schemas — valid ones and, in a second pass, invalid ones — as
Certif Pro and as an establishment user: never a server error (5xx). Bounded (a few examples per operation, no
shrinking: about a minute per database); each run is deterministic (derandomized) so that a failure comes back.

Everything runs in the test's rolled-back transaction. The token's own logout and refresh are left out: the
first would end the run's login (they have their own tests, tests/test_connexions.py)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from tests.conftest import api_token

EXAMPLES = 4
LEFT_OUT = {"/api/v1/security/logout", "/api/v1/security/refresh"}


def _fuzz(operation, mode, headers, failures: list[str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def call(case):
        response = case.call(headers=headers)
        if response.status_code >= 500:
            failures.append(
                f"{operation.method.upper()} {operation.path} {case.path_parameters} {case.query} "
                f"{str(case.body)[:200]} → {response.status_code} {response.text[:200]}"
            )

    call()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valides", "invalides"])
@pytest.mark.parametrize("username", ["certifpro", "etab.user"])
def test_no_server_error_anywhere_in_the_openapi_document(app, username, mode):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_token(client, username)}"}
    schema = schemathesis.openapi.from_dict(client.get("/api/v1/_openapi", headers=headers).get_json())
    schema.app = app  # calls go to the application itself (WSGI), not over the network
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        if operation.path in LEFT_OUT:
            continue
        operations += 1

        _fuzz(operation, mode, headers, failures)
    assert operations > 80
    assert failures == [], "\n".join(failures[:20])
