"""Readable tables of metrics for the logs."""

from __future__ import annotations

from tabulate import tabulate

SPLIT_HEADERS = {"training": "train", "validation": "vali", "test": "test"}


def format_metrics_table(epoch: int, steps: int, results: dict[str, dict[str, dict[str, float]]]) -> str:
    """One table per output feature (rows: metrics; columns: splits), like Ludwig's epoch report."""
    splits = [s for s in ("training", "validation", "test") if s in results]
    features = []
    for split in splits:
        for feature in results[split]:
            if feature not in features:
                features.append(feature)
    blocks = [f"Epoch {epoch} (step {steps})"]
    for feature in features:
        metrics = []
        for split in splits:
            for metric in results[split].get(feature, {}):
                if metric not in metrics:
                    metrics.append(metric)
        rows = [
            [metric] + [_fmt(results[split].get(feature, {}).get(metric)) for split in splits] for metric in metrics
        ]
        headers = [feature] + [SPLIT_HEADERS[s] for s in splits]
        blocks.append(tabulate(rows, headers=headers, tablefmt="fancy_outline"))
    return "\n".join(blocks)


def _fmt(value) -> str:
    return "" if value is None else f"{value:.4f}"


def format_training_report(
    best_metrics: dict[str, dict[str, dict[str, float]]],
    best_step: int,
    best_epoch: int,
    validation_field: str,
    validation_metric: str,
) -> str:
    """The final ``TRAINING REPORT``: the validation metric at the best evaluation, per split."""
    rows = [
        ["Validation feature", validation_field],
        ["Validation metric", validation_metric],
        ["Best model step", best_step],
        ["Best model epoch", best_epoch],
    ]
    for split in ("training", "validation", "test"):
        value = best_metrics.get(split, {}).get(validation_field, {}).get(validation_metric)
        if value is not None:
            rows.append([f"Best model's {SPLIT_HEADERS[split]} {validation_metric}", _fmt(value)])
    for feature, metrics in best_metrics.get("test", {}).items():
        for metric, value in metrics.items():
            if (feature, metric) != (validation_field, validation_metric):
                rows.append([f"Best model's test {feature} {metric}", _fmt(value)])
    return "TRAINING REPORT\n" + tabulate(rows, tablefmt="fancy_outline")


def format_evaluation_report(stats: dict[str, dict]) -> str:
    """Scalar metrics of ``test_statistics`` (per feature) as a table."""
    blocks = []
    for feature, metrics in stats.items():
        rows = [[k, _fmt(v)] for k, v in metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)]
        if rows:
            blocks.append(tabulate(rows, headers=[feature, ""], tablefmt="fancy_outline"))
    return "\n".join(blocks)
