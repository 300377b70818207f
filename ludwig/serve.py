"""``ludwig serve``: serve a trained model over HTTP (FastAPI under uvicorn).

Endpoints, as in Ludwig:

* ``GET /``: health check, ``{"message": "Ludwig server is up"}``.
* ``POST /predict``: one record, as form fields named like the input features (or a JSON object); answers the
  prediction row as a JSON object (``<out>_predictions``, ``<out>_probabilities``, ``<out>_probability``,
  ``<out>_probabilities_<label>`` ...).
* ``POST /batch_predict``: a form field ``dataset`` holding a JSON dataset in pandas ``split`` orientation
  (``{"columns": [...], "data": [[...]], "index": [...]}``, index optional), or that JSON object as the body;
  answers the predictions in the same orientation.
* ``GET /metrics``: Prometheus metrics, when ``prometheus_client`` is installed (see
  ``ludwig.serving.metrics.ServerMetrics``).

Bad requests (missing input feature, wrong type, empty or malformed body, oversized payload) answer a 4xx whose
``error`` names the field; only real server faults answer 500, without a traceback. The pieces every Ludwig server
shares (validation, body reading, the base app, the predictor, uvicorn, the flags) live in ``ludwig.serving``;
fastapi and uvicorn are imported inside the functions that need them, so ``ludwig --help`` stays instant.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the endpoints' annotations (``Request``, imported
# inside ``server``) at run time.
import logging
from collections.abc import Sequence
from typing import Any

from ludwig.serving.app import HEALTH_MESSAGE, create_app
from ludwig.serving.bodies import DEFAULT_MAX_PAYLOAD_BYTES, content_type, parse_json, read_body, read_record
from ludwig.serving.command_line import run_cli
from ludwig.serving.predictor import DEFAULT_PREDICTION_TIMEOUT_S, Predictor
from ludwig.serving.requests import RequestError, input_feature_specs, rows_of_records, rows_of_split_dataset
from ludwig.serving.runner import serve_app
from ludwig.serving.schemas import dataset_form_schema, dataset_schema, form_or_json_body, record_schema


def server(
    model: Any,
    allowed_origins: Sequence[str] | None = None,
    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
    prediction_timeout: float | None = DEFAULT_PREDICTION_TIMEOUT_S,
) -> Any:
    """The FastAPI app serving ``model`` (a loaded ``LudwigModel``).

    Args:
        model: the model; it is shared by all requests, which predict one at a time.
        allowed_origins: origins allowed by CORS (``["*"]`` for any); no CORS headers when None or empty.
        max_payload_bytes: larger request bodies answer 413.
        prediction_timeout: seconds a prediction may take before the request answers 504 (None: no limit).

    Returns:
        A ``fastapi.FastAPI`` app, to run with uvicorn or drive with a test client. With ``prometheus_client``
        installed it also answers ``GET /metrics`` (``app.state.metrics`` is its ``ServerMetrics``, else None).
        ``app.state.predictor`` is the ``ludwig.serving.predictor.Predictor`` its requests share.
    """
    from fastapi import Request
    from fastapi.responses import JSONResponse

    specs = input_feature_specs(model)
    feature_list = ", ".join(f"`{column}` ({feature_type})" for column, feature_type in specs) or "none"
    app = create_app(
        "Ludwig model server", f"Predictions of a Ludwig model. Input features: {feature_list}.", allowed_origins
    )
    app.state.predictor = predictor = Predictor(model, prediction_timeout, app.state.metrics)

    @app.get("/", summary="Health check")
    async def health() -> dict[str, str]:
        return {"message": HEALTH_MESSAGE}

    one_record = record_schema(specs)

    @app.post("/predict", summary="Predict one record", openapi_extra=form_or_json_body(one_record, one_record))
    async def predict(request: Request) -> JSONResponse:
        record = read_record(request, await read_body(request, max_payload_bytes))
        predictions = await predictor(rows_of_records([record], specs))
        return JSONResponse(predictions.record())

    @app.post(
        "/batch_predict",
        summary="Predict a dataset in pandas 'split' orientation",
        openapi_extra=form_or_json_body(dataset_form_schema(), dataset_schema(specs)),
    )
    async def batch_predict(request: Request) -> JSONResponse:
        body = await read_body(request, max_payload_bytes)
        if content_type(request) == "application/json":
            payload = parse_json(body, "Request body")
            if isinstance(payload, dict) and "dataset" in payload and "columns" not in payload:
                payload = payload["dataset"]
        else:
            fields = read_record(request, body)
            if "dataset" not in fields:
                raise RequestError(
                    400, "Form field 'dataset' is missing; it holds the JSON dataset (split orientation)."
                )
            payload = parse_json(fields["dataset"].encode(), "Field 'dataset'")
        predictions = await predictor(rows_of_split_dataset(payload, specs))
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
    """Load the model in ``model_path`` once, then serve it until interrupted (Ctrl-C stops it cleanly).

    ``trust_remote_code`` is the opt-in of ``LudwigModel.load`` to code the model's config points at.
    """
    from ludwig.api import LudwigModel

    model = LudwigModel.load(model_path, logging_level=logging_level, trust_remote_code=trust_remote_code)
    app = server(model, allowed_origins, max_payload_bytes=max_payload_bytes, prediction_timeout=prediction_timeout)
    serve_app(app, host, port, f"Ludwig server serving {model_path}", logging_level=logging_level)


def cli(sys_argv: Sequence[str]) -> None:
    """``ludwig serve``: parse the flags in ``sys_argv``, then serve the model until interrupted."""
    run_cli(sys_argv, run_server, "serve")
