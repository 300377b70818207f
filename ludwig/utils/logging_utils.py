"""The ``ludwig`` logger's console output (no heavy imports: the CLI uses it before torch loads)."""

from __future__ import annotations

import logging
import sys

LUDWIG_LOGGER = "ludwig"


class ProgressAwareHandler(logging.Handler):
    """Writes log records to stderr through ``tqdm.write`` so they do not break a progress bar."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            from tqdm import tqdm

            tqdm.write(self.format(record), file=sys.stderr)
        except Exception:
            self.handleError(record)


def set_ludwig_logging_level(level: int) -> None:
    """Set the level of the ``ludwig`` logger, giving it one console handler the first time."""
    logger = logging.getLogger(LUDWIG_LOGGER)
    if not any(isinstance(h, ProgressAwareHandler) for h in logger.handlers):
        handler = ProgressAwareHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(level)
