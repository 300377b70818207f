"""Showing hyperopt results: the ranked ``HYPEROPT RESULTS`` table."""

from __future__ import annotations

import json
from typing import Any

from ludwig.hyperopt.results import HyperoptResults


def format_hyperopt_results(results: HyperoptResults) -> str:
    """The trials best first, one row each: rank, metric score and one column per searched parameter."""
    from tabulate import tabulate

    names: list[str] = []
    for trial in results.ordered_trials:
        for name in trial.parameters:
            if name not in names:
                names.append(name)
    rows = [
        [rank, _format_value(trial.metric_score), *(_format_value(trial.parameters.get(n)) for n in names)]
        for rank, trial in enumerate(results.ordered_trials, start=1)
    ]
    table = tabulate(rows, headers=["rank", "metric_score", *names], tablefmt="fancy_outline")
    return f"HYPEROPT RESULTS ({len(rows)} trial{'s' if len(rows) != 1 else ''}, best first)\n{table}"


def print_hyperopt_results(results: HyperoptResults) -> None:
    """Print the ranked ``HYPEROPT RESULTS`` table to stdout."""
    print(format_hyperopt_results(results), flush=True)


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return "" if value is None else str(value)
