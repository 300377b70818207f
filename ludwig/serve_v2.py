"""A JSON API server of a Ludwig model (``python -m ludwig.serve_v2``, same flags as ``ludwig serve``).

Unlike ``ludwig serve`` it speaks JSON only, starts answering at once and loads the model in the background:

* ``GET /``: health check, ``{"message": "Ludwig server is up", "model_loaded": true|false}`` (always 200);
* ``GET /info``: the model's input and output features (``name``, ``column``, ``type``);
* ``POST /predict``: one record, a JSON object mapping input feature names to values; answers the prediction
  row as a JSON object (as ``ludwig serve`` does);
* ``POST /batch_predict``: a dataset in pandas ``split`` orientation (``{"columns", "data", "index"?}``) answered
  in the same orientation, or a list of records answered as a list of prediction records, in order;
* ``GET /metrics``: Prometheus metrics, when ``prometheus_client`` is installed.

Until the model is loaded (or when it could not be), ``/info``, ``/predict`` and ``/batch_predict`` answer 503.
Validation, errors, timeouts and metrics are those of ``ludwig serve`` (the pieces of ``ludwig.serving``).
"""

# No ``from __future__ import annotations`` here: FastAPI reads the endpoints' annotations at run time.
import logging
import os
import sys
import threading
from collections.abc import Sequence
from typing import Any

from ludwig.globals import MODEL_HYPERPARAMETERS_FILE_NAME
from ludwig.serving.app import HEALTH_MESSAGE, create_app
from ludwig.serving.bodies import DEFAULT_MAX_PAYLOAD_BYTES, read_json
from ludwig.serving.command_line import run_cli
from ludwig.serving.metrics import ServerMetrics
from ludwig.serving.predictor import DEFAULT_PREDICTION_TIMEOUT_S, Predictor
from ludwig.serving.requests import RequestError, input_feature_specs, rows_of_records, rows_of_split_dataset
from ludwig.serving.runner import freeze_loaded_objects, serve_app
from ludwig.serving.schemas import dataset_schema, request_body

logger = logging.getLogger(__name__)

PROG = "python -m ludwig.serve_v2"
DESCRIPTION = "Serve a trained model over a JSON API (/predict, /batch_predict, /info), loading it in the background."


class _ModelSlot:
    """The served model: given loaded, or loaded from a folder in a background thread."""

    def __init__(
        self,
        model: Any,
        timeout: float | None,
        metrics: ServerMetrics | None,
        logging_level: int,
        trust_remote_code: bool = False,
    ):
        self.timeout = timeout
        self.trust_remote_code = trust_remote_code
        self.metrics = metrics
        self.source = None
        self.error: str | None = None
        self.predictor: Predictor | None = None
        self.info: dict[str, Any] | None = None
        self.specs: list[tuple[str, str]] = []
        if isinstance(model, (str, os.PathLike)):
            self.source = os.fspath(model)
            threading.Thread(target=self._load, args=(logging_level,), name="ludwig-model-loader", daemon=True).start()
        else:
            self._set(model)

    def _load(self, logging_level: int) -> None:
        from ludwig.api import LudwigModel

        try:
            model = LudwigModel.load(self.source, logging_level=logging_level, trust_remote_code=self.trust_remote_code)
        except Exception as e:  # reported by every model endpoint, and logged once here
            logger.exception("Could not load the model in %s", self.source)
            self.error = f"The model in {self.source} could not be loaded: {e}"
            return
        self._set(model)
        freeze_loaded_objects()  # serve_app froze what was loaded before the model
        logger.info("Loaded the model in %s", self.source)

    def _set(self, model: Any) -> None:
        def describe(features: Any) -> list[dict[str, str]]:
            return [{"name": f.name, "column": f.column, "type": f.type} for f in features]

        self.specs = input_feature_specs(model)
        self.info = {
            "input_features": describe(model.config_obj.input_features),
            "output_features": describe(model.config_obj.output_features),
        }
        self.predictor = Predictor(model, self.timeout, self.metrics)  # set last: it marks the model ready

    @property
    def loaded(self) -> bool:
        return self.predictor is not None

    def ready(self) -> Predictor:
        """The predictor of the model; answers 503 while the model is loading or when it failed to load."""
        if self.predictor is not None:
            return self.predictor
        if self.error is not None:
            raise RequestError(503, self.error)
        raise RequestError(503, f"The model in {self.source} is still loading; retry in a moment.")


def server(
    model: Any,
    allowed_origins: Sequence[str] | None = None,
    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
    prediction_timeout: float | None = DEFAULT_PREDICTION_TIMEOUT_S,
    logging_level: int = logging.ERROR,
    trust_remote_code: bool = False,
) -> Any:
    """The FastAPI app of the JSON API serving ``model``.

    Args:
        model: a loaded ``LudwigModel``, or the path of a model folder, which the app starts loading in a
            background thread right away (the model endpoints answer 503 until it is loaded).
        allowed_origins: origins allowed by CORS (``["*"]`` for any); no CORS headers when None or empty.
        max_payload_bytes: larger request bodies answer 413.
        prediction_timeout: seconds a prediction may take before the request answers 504 (None: no limit).
        logging_level: logging level of the model loaded from a path.
        trust_remote_code: the opt-in of ``LudwigModel.load`` to code the config of a model loaded from a path
            points at.

    Returns:
        A ``fastapi.FastAPI`` app (``app.state.metrics`` is its ``ServerMetrics``, None without prometheus_client).
    """
    from fastapi import Request
    from fastapi.responses import JSONResponse

    app = create_app(
        "Ludwig model server (JSON API)",
        "Predictions of a Ludwig model from JSON bodies; GET /info lists the input features.",
        allowed_origins,
    )
    slot = _ModelSlot(model, prediction_timeout, app.state.metrics, logging_level, trust_remote_code)

    any_record = {"type": "object", "additionalProperties": True}
    record_doc = request_body({"application/json": any_record})
    batch_doc = request_body(
        {"application/json": {"oneOf": [dataset_schema([]), {"type": "array", "items": any_record}]}}
    )

    @app.get("/", summary="Health check")
    async def health() -> dict[str, Any]:
        return {"message": HEALTH_MESSAGE, "model_loaded": slot.loaded}

    @app.get("/info", summary="The model's input and output features")
    async def info() -> JSONResponse:
        slot.ready()
        return JSONResponse(slot.info)

    @app.post("/predict", summary="Predict one record (a JSON object)", openapi_extra=record_doc)
    async def predict(request: Request) -> JSONResponse:
        predictor = slot.ready()
        record = await read_json(request, max_payload_bytes)
        if not isinstance(record, dict):
            raise RequestError(400, "Request body must be a JSON object mapping input feature names to values.")
        predictions = await predictor(rows_of_records([record], slot.specs))
        return JSONResponse(predictions.record())

    @app.post(
        "/batch_predict",
        summary="Predict a dataset in 'split' orientation or a list of records",
        openapi_extra=batch_doc,
    )
    async def batch_predict(request: Request) -> JSONResponse:
        predictor = slot.ready()
        payload = await read_json(request, max_payload_bytes)
        if isinstance(payload, list):
            predictions = await predictor(rows_of_records(payload, slot.specs))
            return JSONResponse(predictions.records())
        if not isinstance(payload, dict):
            raise RequestError(
                400, "Request body must be a dataset in 'split' orientation ({'columns', 'data'}) or a list of records."
            )
        predictions = await predictor(rows_of_split_dataset(payload, slot.specs))
        return JSONResponse(predictions.split())

    return app


def run_server(
    model_path: str,
    host: str = "0.0.0.0",
    port: int = 8000,
    allowed_origins: Sequence[str] | None = None,
    prediction_timeout: float | None = DEFAULT_PREDICTION_TIMEOUT_S,
    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
    logging_level: int = logging.INFO,
    trust_remote_code: bool = False,
) -> None:
    """Serve the model in ``model_path`` until interrupted; it answers at once, the model loads in the background.

    ``trust_remote_code`` is the opt-in of ``LudwigModel.load`` to code the model's config points at.
    """
    from ludwig.utils.trust import check_model_folder_trust

    if not os.path.isfile(os.path.join(model_path, MODEL_HYPERPARAMETERS_FILE_NAME)):  # fail now, not in the loader
        raise FileNotFoundError(
            f"{model_path} is not a Ludwig model folder: {MODEL_HYPERPARAMETERS_FILE_NAME} is missing."
        )
    check_model_folder_trust(model_path, MODEL_HYPERPARAMETERS_FILE_NAME, trust_remote_code)
    app = server(model_path, allowed_origins, max_payload_bytes, prediction_timeout, logging_level, trust_remote_code)
    serve_app(
        app, host, port, f"Ludwig JSON server serving {model_path}", command="serve_v2", logging_level=logging_level
    )


def cli(sys_argv: Sequence[str]) -> None:
    """``python -m ludwig.serve_v2``: parse the flags in ``sys_argv``, then serve the model until interrupted."""
    run_cli(sys_argv, run_server, "serve_v2", DESCRIPTION, PROG)


if __name__ == "__main__":
    cli(sys.argv[1:])
