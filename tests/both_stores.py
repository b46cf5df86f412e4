"""The fixture that runs a suite on both stores: every test that uses ``db`` (or
``db_url``) runs once on SQLite and once on PostgreSQL (a real server, started by the suite).
The service and storage suites import it in their conftest; a test about one store alone
says so by overriding ``store_kind``."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", "postgres"], name="store_kind")
def both_stores(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind
