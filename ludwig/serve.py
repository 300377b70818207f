"""``ludwig serve``: serve a trained model over HTTP (FastAPI under uvicorn).

Endpoints, as in Ludwig:

* ``GET /``: health check, ``{"message": "Ludwig server is up"}``.
* ``POST /predict``: one record, as form fields named like the input features (or a JSON object); answers the
  prediction row as a JSON object (``<out>_predictions``, ``<out>_probabilities``, ``<out>_probability``,
  ``<out>_probabilities_<label>`` ...).
* ``POST /batch_predict``: a form field ``dataset`` holding a JSON dataset in pandas ``split`` orientation
  (``{"columns": [...], "data": [[...]], "index": [...]}``, index optional), or that JSON object as the body;
  answers the predictions in the same orientation.

Bad requests (missing input feature, wrong type, empty or malformed body, oversized payload) answer a 4xx whose
``error`` names the field; only real server faults answer 500, without a traceback. fastapi and uvicorn are
imported inside the functions that need them, so ``ludwig --help`` stays instant.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the endpoints' annotations (``Request``, imported
# inside ``server``) at run time.
import json
import logging
import math
import sys
import threading
from collections.abc import Sequence
from typing import Any

from ludwig.utils import cli_utils

logger = logging.getLogger(__name__)

HEALTH_MESSAGE = "Ludwig server is up"
DEFAULT_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
DEFAULT_PREDICTION_TIMEOUT_S = 30.0

#: Input types whose raw values are files; they cannot be served until those feature types exist here.
FILE_INPUT_TYPES = ("image", "audio")
#: Input types read from a number (or an empty value, which is a missing one).
NUMBER_INPUT_TYPES = ("number",)
#: Input types whose raw value is a single string or scalar.
SCALAR_INPUT_TYPES = ("category", "binary", "text", "set", "bag", "sequence", "date", "h3", "vector", "timeseries")


class RequestError(Exception):
    """A request the client can fix: answered with ``status_code`` and ``{"error": message}``."""

    def __init__(self, status_code: int, message: str):
        super().__init__(message)
        self.status_code = status_code
        self.message = message


# ---------------------------------------------------------------------------------------------------------
# Request validation (pure Python, testable without a server)


def input_feature_specs(model: Any) -> list[tuple[str, str]]:
    """``(column, type)`` of each input feature of ``model``, in config order."""
    return [(feature.column, feature.type) for feature in model.config_obj.input_features]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def clean_value(column: str, feature_type: str, value: Any, where: str = "") -> Any:
    """``value`` of input ``column`` checked against its type; raises ``RequestError`` (422) when it cannot be one.

    Empty values and ``None`` are missing values (the model fills them as its preprocessing says).
    """
    if feature_type in FILE_INPUT_TYPES:
        raise RequestError(
            400, f"Input feature {column!r} has type {feature_type!r}; file inputs are not supported by this server."
        )
    if _is_missing(value):
        return None
    if isinstance(value, (dict, list)) and feature_type not in ("vector", "timeseries", "set", "bag", "sequence"):
        raise RequestError(
            422, f"Input feature {column!r}{where} ({feature_type}) expects a single value, found {value!r}."
        )
    if feature_type in NUMBER_INPUT_TYPES:
        if isinstance(value, bool):
            raise RequestError(422, f"Input feature {column!r}{where} (number) expects a number, found {value!r}.")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise RequestError(
                422, f"Input feature {column!r}{where} (number) expects a number, found {value!r}."
            ) from None
        if math.isinf(number):
            raise RequestError(422, f"Input feature {column!r}{where} (number) must be finite, found {value!r}.")
        return number
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    return value


def check_features_present(columns: Sequence[str], specs: Sequence[tuple[str, str]]) -> None:
    """Raise ``RequestError`` (400) naming the input features absent from ``columns``."""
    missing = [column for column, _ in specs if column not in columns]
    if missing:
        raise RequestError(
            400, f"Data received does not contain all input features. Missing features: {sorted(missing)}."
        )


def clean_record(record: dict[str, Any], specs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The input values of one record, checked and cast; other keys are ignored."""
    check_features_present(list(record), specs)
    return {column: clean_value(column, feature_type, record[column]) for column, feature_type in specs}


def parse_split_dataset(payload: Any, specs: Sequence[tuple[str, str]]) -> Any:
    """A DataFrame from a dataset in pandas ``split`` orientation, with its input columns checked and cast."""
    import pandas as pd

    if not isinstance(payload, dict):
        raise RequestError(400, "Field 'dataset' must be a JSON object with 'columns' and 'data' (split orientation).")
    columns, data, index = payload.get("columns"), payload.get("data"), payload.get("index")
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise RequestError(400, "Field 'dataset.columns' must be a list of column names.")
    if len(set(columns)) != len(columns):
        raise RequestError(400, f"Field 'dataset.columns' holds duplicate names: {columns}.")
    if not isinstance(data, list) or not data:
        raise RequestError(400, "Field 'dataset.data' must be a non-empty list of rows.")
    for i, row in enumerate(data):
        if not isinstance(row, list) or len(row) != len(columns):
            raise RequestError(
                400, f"Row {i} of field 'dataset.data' must be a list of {len(columns)} values (one per column)."
            )
    if index is not None and (not isinstance(index, list) or len(index) != len(data)):
        raise RequestError(400, f"Field 'dataset.index' must be a list of {len(data)} labels (one per row).")
    check_features_present(columns, specs)
    positions = {column: columns.index(column) for column, _ in specs}
    cleaned = {
        column: [
            clean_value(column, feature_type, row[positions[column]], f" in row {i}") for i, row in enumerate(data)
        ]
        for column, feature_type in specs
    }
    frame = pd.DataFrame(cleaned, index=index)
    for column, feature_type in specs:
        if feature_type in NUMBER_INPUT_TYPES:
            frame[column] = frame[column].astype(float)
    return frame


def to_jsonable(value: Any) -> Any:
    """``value`` with numpy scalars and arrays turned into Python ones, and NaN into ``None``."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# ---------------------------------------------------------------------------------------------------------
# The app


def _request_schema(specs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The OpenAPI schema of one record: a property per input feature."""
    properties = {}
    for column, feature_type in specs:
        if feature_type in NUMBER_INPUT_TYPES:
            properties[column] = {"type": "number", "description": f"{feature_type} input feature"}
        else:
            properties[column] = {"type": "string", "description": f"{feature_type} input feature"}
    return {"type": "object", "properties": properties, "required": [column for column, _ in specs]}


class _Predictor:
    """Runs ``model.predict`` one call at a time: the model and its preprocessing are shared by every request."""

    def __init__(self, model: Any):
        self.model = model
        self.lock = threading.Lock()

    def __call__(self, frame: Any) -> Any:
        from ludwig.error import InputDataError

        try:
            with self.lock:
                predictions, _ = self.model.predict(frame)
        except InputDataError as e:  # a value preprocessing cannot read: its message names the column
            raise RequestError(422, str(e)) from None
        return predictions


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
        A ``fastapi.FastAPI`` app, to run with uvicorn or drive with a test client.
    """
    import anyio
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.datastructures import UploadFile
    from starlette.exceptions import HTTPException as StarletteHTTPException

    specs = input_feature_specs(model)
    predictor = _Predictor(model)
    record_schema = _request_schema(specs)
    feature_list = ", ".join(f"`{column}` ({feature_type})" for column, feature_type in specs) or "none"

    app = FastAPI(
        title="Ludwig model server",
        description=f"Predictions of a Ludwig model. Input features: {feature_list}.",
    )
    if allowed_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware, allow_origins=list(allowed_origins), allow_methods=["*"], allow_headers=["*"]
        )

    @app.exception_handler(RequestError)
    async def _request_error(request: Request, error: RequestError) -> JSONResponse:
        logger.info("%s %s -> %d: %s", request.method, request.url.path, error.status_code, error.message)
        return JSONResponse({"error": error.message}, status_code=error.status_code)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(error.detail)}, status_code=error.status_code, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": str(error.errors())}, status_code=422)

    @app.exception_handler(Exception)
    async def _server_error(request: Request, error: Exception) -> JSONResponse:
        logger.exception("%s %s failed", request.method, request.url.path)
        return JSONResponse({"error": "Unexpected Error: could not run inference on model"}, status_code=500)

    async def read_body(request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_payload_bytes:
            raise RequestError(413, f"Request body of {declared} bytes exceeds the limit of {max_payload_bytes} bytes.")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_payload_bytes:
                raise RequestError(413, f"Request body exceeds the limit of {max_payload_bytes} bytes.")
            chunks.append(chunk)
        body = b"".join(chunks)
        if not body.strip():
            raise RequestError(400, "Request body is empty; send the input features as form fields or JSON.")
        request._body = body  # lets request.form() parse the bytes already read
        return body

    def content_type(request: Request) -> str:
        return request.headers.get("content-type", "").split(";")[0].strip().lower()

    def parse_json(body: bytes, what: str) -> Any:
        try:
            return json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise RequestError(400, f"{what} is not valid JSON: {e}.") from None

    async def read_form(request: Request) -> dict[str, Any]:
        try:
            form = await request.form()
        except Exception as e:  # malformed multipart or urlencoded bodies
            raise RequestError(400, f"Request body is not a valid form: {e}.") from None
        fields = {}
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                raise RequestError(
                    400, f"Field {key!r} is a file upload; file inputs are not supported by this server."
                )
            fields[key] = value
        return fields

    async def read_record(request: Request, body: bytes) -> dict[str, Any]:
        kind = content_type(request)
        if kind == "application/json":
            record = parse_json(body, "Request body")
            if not isinstance(record, dict):
                raise RequestError(400, "Request body must be a JSON object mapping input feature names to values.")
            return record
        if kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
            return await read_form(request)
        raise RequestError(
            415, f"Unsupported content type {kind!r}; use multipart/form-data, a urlencoded form or application/json."
        )

    async def run_prediction(frame: Any) -> Any:
        try:
            with anyio.fail_after(prediction_timeout):
                return await anyio.to_thread.run_sync(predictor, frame, abandon_on_cancel=True)
        except TimeoutError:
            raise RequestError(504, f"Prediction timed out after {prediction_timeout}s") from None

    def body_doc(schema: dict[str, Any], form_schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {"schema": form_schema},
                    "application/x-www-form-urlencoded": {"schema": form_schema},
                    "application/json": {"schema": schema},
                },
            }
        }

    dataset_schema = {
        "type": "object",
        "properties": {
            "columns": {"type": "array", "items": {"type": "string"}, "example": [column for column, _ in specs]},
            "data": {"type": "array", "items": {"type": "array", "items": {}}},
            "index": {"type": "array", "items": {}},
        },
        "required": ["columns", "data"],
    }
    dataset_form_schema = {
        "type": "object",
        "properties": {"dataset": {"type": "string", "description": "JSON dataset in pandas 'split' orientation"}},
        "required": ["dataset"],
    }

    @app.get("/", summary="Health check")
    async def health() -> dict[str, str]:
        return {"message": HEALTH_MESSAGE}

    @app.post("/predict", summary="Predict one record", openapi_extra=body_doc(record_schema, record_schema))
    async def predict(request: Request) -> JSONResponse:
        import pandas as pd

        record = clean_record(await read_record(request, await read_body(request)), specs)
        frame = pd.DataFrame({column: [value] for column, value in record.items()})
        for column, feature_type in specs:
            if feature_type in NUMBER_INPUT_TYPES:
                frame[column] = frame[column].astype(float)
        predictions = await run_prediction(frame)
        return JSONResponse(to_jsonable(predictions.iloc[0].to_dict()))

    @app.post(
        "/batch_predict",
        summary="Predict a dataset in pandas 'split' orientation",
        openapi_extra=body_doc(dataset_schema, dataset_form_schema),
    )
    async def batch_predict(request: Request) -> JSONResponse:
        body = await read_body(request)
        if content_type(request) == "application/json":
            payload = parse_json(body, "Request body")
            if isinstance(payload, dict) and "dataset" in payload and "columns" not in payload:
                payload = payload["dataset"]
        else:
            fields = await read_record(request, body)
            if "dataset" not in fields:
                raise RequestError(
                    400, "Form field 'dataset' is missing; it holds the JSON dataset (split orientation)."
                )
            payload = parse_json(fields["dataset"].encode(), "Field 'dataset'")
        frame = parse_split_dataset(payload, specs)
        predictions = await run_prediction(frame)
        return JSONResponse(to_jsonable(predictions.to_dict("split")))

    return app


# ---------------------------------------------------------------------------------------------------------
# Command line


def run_server(
    model_path: str,
    host: str = "0.0.0.0",
    port: int = 8000,
    allowed_origins: Sequence[str] | None = None,
    prediction_timeout: float | None = DEFAULT_PREDICTION_TIMEOUT_S,
    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
    logging_level: int = logging.INFO,
) -> None:
    """Load the model in ``model_path`` once, then serve it until interrupted (Ctrl-C stops it cleanly)."""
    import uvicorn

    from ludwig.api import LudwigModel

    model = LudwigModel.load(model_path, logging_level=logging_level)
    app = server(model, allowed_origins, max_payload_bytes=max_payload_bytes, prediction_timeout=prediction_timeout)
    config = uvicorn.Config(app, host=host, port=port, log_level=logging.getLevelName(max(logging_level, 10)).lower())

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets=sockets)
            if self.started:  # bound: say where (uvicorn exits with status 3 when the address is taken)
                print(f"Ludwig server serving {model_path} on http://{host}:{port} (press Ctrl-C to stop)", flush=True)

    uvicorn_server = Server(config)
    try:
        uvicorn_server.run()
    except KeyboardInterrupt:
        # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal: a requested stop is a clean exit.
        pass
    if not uvicorn_server.started:
        print(f"ludwig serve: error: could not start the server on {host}:{port} (see the log above)", file=sys.stderr)
        sys.exit(1)
    print("Ludwig server stopped", flush=True)


def build_parser():
    parser = cli_utils.make_parser(
        "serve", "Serve a trained model over HTTP (REST endpoints /predict, /batch_predict)."
    )
    cli_utils.add_model_path_arg(parser)
    parser.add_argument("-p", "--port", type=int, default=8000, help="port to listen on")
    parser.add_argument("-H", "--host", default="0.0.0.0", help="address to listen on")
    parser.add_argument("-ao", "--allowed_origins", nargs="*", default=None, help="origins allowed by CORS (e.g. '*')")
    parser.add_argument(
        "-t",
        "--prediction_timeout",
        type=float,
        default=DEFAULT_PREDICTION_TIMEOUT_S,
        help="seconds a prediction may take before the request answers 504",
    )
    parser.add_argument(
        "--max_payload_mb",
        type=float,
        default=DEFAULT_MAX_PAYLOAD_BYTES / (1024 * 1024),
        help="largest request body accepted, in MiB (larger ones answer 413)",
    )
    cli_utils.add_logging_arg(parser)
    return parser


def cli(sys_argv: Sequence[str]) -> None:
    args = build_parser().parse_args(sys_argv)
    level = cli_utils.setup_logging(args.logging_level)
    with cli_utils.handle_errors("serve", level):
        try:
            import fastapi  # noqa: F401
            import uvicorn  # noqa: F401
        except ImportError as e:
            print(f"ludwig serve: error: {e}. Install the server extra: pip install 'ludwig[serve]'", file=sys.stderr)
            sys.exit(1)
        run_server(
            args.model_path,
            host=args.host,
            port=args.port,
            allowed_origins=args.allowed_origins,
            prediction_timeout=args.prediction_timeout,
            max_payload_bytes=int(args.max_payload_mb * 1024 * 1024),
            logging_level=level,
        )
