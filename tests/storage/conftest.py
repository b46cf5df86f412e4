"""This suite runs on both stores (see ``tests/both_stores.py``)."""

from tests.both_stores import both_stores

__all__ = ["both_stores"]
