"""Fixtures of the cases tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """The workbench keeps a lead's or manager's figures in the cache per user id and date: ids come back after
    each test's rollback, so every test starts with an empty cache."""
    cache.clear()
    yield
    cache.clear()
