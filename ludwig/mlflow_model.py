"""An MLflow pyfunc wrapper of a Ludwig model folder (``ludwig export_mlflow``); imported only with mlflow."""

from __future__ import annotations

from typing import Any

import mlflow.pyfunc


class LudwigPyfuncModel(mlflow.pyfunc.PythonModel):
    """Loads the model folder given as the ``model`` artifact and predicts a DataFrame of raw rows."""

    def load_context(self, context: Any) -> None:
        from ludwig.api import LudwigModel

        self.model = LudwigModel.load(context.artifacts["model"])

    def predict(self, context: Any, model_input: Any, params: dict | None = None) -> Any:
        predictions, _ = self.model.predict(model_input)
        return predictions
