"""Train, evaluate and predict on the Titanic dataset with the Python API.

Usage (from the repository root):
    python examples/titanic/train_titanic.py [path/to/titanic.csv]
"""

import logging
import sys
from pathlib import Path

from ludwig.api import LudwigModel

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE / "titanic.csv"


def main() -> None:
    dataset = sys.argv[1] if len(sys.argv) > 1 else str(DEFAULT_DATA)
    model = LudwigModel(str(HERE / "config.yaml"), logging_level=logging.INFO)
    eval_stats, _, _, output_directory = model.experiment(dataset=dataset, output_directory="results")
    survived = eval_stats["Survived"]
    print(f"Test accuracy {survived['accuracy']:.3f}, ROC AUC {survived['roc_auc']:.3f}")
    predictions, _ = model.predict(dataset=dataset)
    print(predictions.head())
    print(f"Results in {output_directory}")


if __name__ == "__main__":
    main()
