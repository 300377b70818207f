"""Fixtures shared by the unit and integration tests."""

from __future__ import annotations

import logging

import pytest


@pytest.fixture
def ludwig_warnings(caplog):
    """Capture warnings of the ``ludwig`` logger even when its propagation was turned off elsewhere (the first
    ``LudwigModel`` gives it its own console handler and stops propagation)."""
    logger = logging.getLogger("ludwig")
    attach = not logger.propagate
    if attach:
        logger.addHandler(caplog.handler)
    previous = logger.level
    logger.setLevel(logging.WARNING)
    caplog.clear()
    yield caplog
    if attach:
        logger.removeHandler(caplog.handler)
    logger.setLevel(previous)
