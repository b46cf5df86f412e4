"""This suite runs on both stores: every test that uses ``db`` runs once on SQLite and once
on PostgreSQL (a real server, started by the suite). A test about one store alone says so
by overriding ``store_kind``."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", "postgres"])
def store_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind
