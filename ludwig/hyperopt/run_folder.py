"""The experiment folder a search owns, and the check before anything in it is unpickled.

Resuming a Ray Tune search unpickles what the interrupted run left in its experiment folder (Ray's ``tuner.pkl``
and experiment state, the ``searcher-state-*.pkl`` of a searcher such as skopt), and unpickling can run code. So a
search restores only from ``<output_directory>/<experiment_name>`` (a name checked to stay inside the output
directory), and only when that folder holds the marker a Ludwig search writes there when it starts: a Ray folder
made by anything else is refused before any of its files is read.

Cheap to import (json and os only).
"""

from __future__ import annotations

import json
import os

from ludwig.error import UntrustedCodeError
from ludwig.globals import LUDWIG_VERSION

RUN_MARKER_FILE_NAME = "ludwig_hyperopt_run.json"


def mark_run_folder(experiment_dir: str, executor: str) -> None:
    """Record in ``experiment_dir`` that a Ludwig search with ``executor`` started there (before its first trial)."""
    os.makedirs(experiment_dir, exist_ok=True)
    with open(os.path.join(experiment_dir, RUN_MARKER_FILE_NAME), "w", encoding="utf-8") as f:
        json.dump({"ludwig_version": LUDWIG_VERSION, "executor": executor}, f, indent=2)


def check_own_run_folder(experiment_dir: str, executor: str) -> None:
    """Refuse to restore (unpickle) from ``experiment_dir`` unless a Ludwig search with ``executor`` started there.

    Raises:
        UntrustedCodeError: the marker is missing, unreadable, or names another executor.
    """
    path = os.path.join(experiment_dir, RUN_MARKER_FILE_NAME)
    found = None
    if os.path.isfile(path) and not os.path.islink(path):
        try:
            with open(path, encoding="utf-8") as f:
                found = json.load(f)
        except (OSError, ValueError):
            found = None
    if isinstance(found, dict) and found.get("executor") == executor:
        return
    raise UntrustedCodeError(
        f"Cannot resume the search in {experiment_dir!r}: restoring it unpickles the files there, which can run "
        f"code, and the folder was not started by a Ludwig search with the {executor!r} executor "
        f"({RUN_MARKER_FILE_NAME} is missing or does not say so). Resume only a search this Ludwig started in that "
        "output directory; otherwise run it again without --resume (resume=False), or with another experiment_name."
    )
