"""``ludwig serve``: serve a trained model over HTTP (FastAPI under uvicorn).

Endpoints, as in Ludwig:

* ``GET /``: health check, ``{"message": "Ludwig server is up"}``.
* ``POST /predict``: one record, as form fields named like the input features (or a JSON object); answers the
  prediction row as a JSON object (``<out>_predictions``, ``<out>_probabilities``, ``<out>_probability``,
  ``<out>_probabilities_<label>`` ...).
* ``POST /batch_predict``: a form field ``dataset`` holding a JSON dataset in pandas ``split`` orientation
  (``{"columns": [...], "data": [[...]], "index": [...]}``, index optional), or that JSON object as the body;
  answers the predictions in the same orientation.
* ``GET /metrics``: Prometheus metrics, when ``prometheus_client`` is installed (see ``ServerMetrics``).

Bad requests (missing input feature, wrong type, empty or malformed body, oversized payload) answer a 4xx whose
``error`` names the field; only real server faults answer 500, without a traceback. fastapi and uvicorn are
imported inside the functions that need them, so ``ludwig --help`` stays instant.

The pieces every Ludwig server shares (validation, ``create_app``, ``read_body``, ``Predictor``, ``serve_app``,
``build_parser``) are used by the JSON API server of ``ludwig.serve_v2`` as well.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the endpoints' annotations (``Request``, imported
# inside ``server``) at run time.
import json
import logging
import math
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Optional

from ludwig.utils import cli_utils

logger = logging.getLogger(__name__)

HEALTH_MESSAGE = "Ludwig server is up"
DEFAULT_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
DEFAULT_PREDICTION_TIMEOUT_S = 30.0

#: Input types whose raw values are files; they cannot be served until those feature types exist here.
FILE_INPUT_TYPES = ("image", "audio")
#: Input types read from a number (or an empty value, which is a missing one).
NUMBER_INPUT_TYPES = ("number",)


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


def check_features_present(columns: Sequence[str], specs: Sequence[tuple[str, str]], where: str = "") -> None:
    """Raise ``RequestError`` (400) naming the input features absent from ``columns``."""
    missing = [column for column, _ in specs if column not in columns]
    if missing:
        raise RequestError(
            400, f"Data received does not contain all input features. Missing features: {sorted(missing)}{where}."
        )


def clean_record(record: dict[str, Any], specs: Sequence[tuple[str, str]], where: str = "") -> dict[str, Any]:
    """The input values of one record, checked and cast; other keys are ignored.

    ``where`` (e.g. ``" in record 3"``) is added to error messages to say which record of a batch is wrong.
    """
    check_features_present(list(record), specs, where)
    return {column: clean_value(column, feature_type, record[column], where) for column, feature_type in specs}


def _typed_frame(columns: dict[str, list[Any]], specs: Sequence[tuple[str, str]], index: Any = None) -> Any:
    """A DataFrame of cleaned input values; number columns are float (missing values NaN)."""
    import pandas as pd

    frame = pd.DataFrame(columns, index=index)
    for column, feature_type in specs:
        if feature_type in NUMBER_INPUT_TYPES:
            frame[column] = frame[column].astype(float)
    return frame


def frame_of_records(records: Sequence[dict[str, Any]], specs: Sequence[tuple[str, str]]) -> Any:
    """A DataFrame of one row per record (JSON objects or form fields), with its input values checked and cast.

    Records of a batch (more than one) name their position in error messages.
    """
    if not records:
        raise RequestError(400, "The list of records is empty; send at least one record.")
    cleaned = []
    for i, record in enumerate(records):
        where = f" in record {i}" if len(records) > 1 else ""
        if not isinstance(record, dict):
            what = f"Record {i}" if where else "The record"
            raise RequestError(
                400, f"{what} must be a JSON object mapping input feature names to values, found {record!r}."
            )
        cleaned.append(clean_record(record, specs, where))
    return _typed_frame({column: [record[column] for record in cleaned] for column, _ in specs}, specs)


def parse_split_dataset(payload: Any, specs: Sequence[tuple[str, str]]) -> Any:
    """A DataFrame from a dataset in pandas ``split`` orientation, with its input columns checked and cast."""
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
    return _typed_frame(cleaned, specs, index)


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
# Prometheus metrics

#: Latency histogram buckets in seconds: fine below 10 ms (a tabular model predicts one row in a few ms).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: The ``endpoint`` label of requests that match no route (one label for all, whatever the path).
UNMATCHED_ENDPOINT = "<unmatched>"


class ServerMetrics:
    """The Prometheus metrics of one server app, in a registry of its own (several apps can live in one process).

    * ``ludwig_serve_requests_total{endpoint, method, status_code}``: requests answered;
    * ``ludwig_serve_request_latency_seconds{endpoint}``: histogram of the time from request to response;
    * ``ludwig_serve_prediction_latency_seconds``: histogram of the time ``model.predict`` took (preprocessing,
      model and postprocessing, without waiting for the model lock);
    * ``ludwig_serve_predicted_rows_total``: rows predicted.

    ``endpoint`` is the route's path (``/predict``), or ``<unmatched>`` for paths with no route.
    """

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry()
        self.requests = Counter(
            "ludwig_serve_requests",
            "HTTP requests answered, by endpoint, method and status code.",
            ("endpoint", "method", "status_code"),
            registry=self.registry,
        )
        self.request_latency = Histogram(
            "ludwig_serve_request_latency_seconds",
            "Time from request to response, by endpoint.",
            ("endpoint",),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.prediction_latency = Histogram(
            "ludwig_serve_prediction_latency_seconds",
            "Time model.predict took on one request's rows (preprocessing, model, postprocessing).",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.predicted_rows = Counter("ludwig_serve_predicted_rows", "Rows predicted.", registry=self.registry)

    @classmethod
    def if_available(cls) -> Optional["ServerMetrics"]:
        """New metrics, or None when ``prometheus_client`` is not installed (the server then has no ``/metrics``)."""
        try:
            import prometheus_client  # noqa: F401
        except ImportError:
            return None
        return cls()

    def observe_request(self, endpoint: str, method: str, status_code: int, seconds: float) -> None:
        self.requests.labels(endpoint, method, str(status_code)).inc()
        self.request_latency.labels(endpoint).observe(seconds)

    def observe_prediction(self, rows: int, seconds: float) -> None:
        self.prediction_latency.observe(seconds)
        self.predicted_rows.inc(rows)

    def exposition(self) -> tuple[bytes, str]:
        """The metrics in the Prometheus text format, and its content type."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class _MetricsMiddleware:
    """ASGI middleware counting and timing every HTTP request (by the path of the route it matched)."""

    def __init__(self, app: Any, metrics: ServerMetrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status_code = 500  # an exception escaping the app is answered 500 by the outer error middleware

        async def send_and_watch(message: dict) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            route = scope.get("route")  # set by the router on the shared scope when a route matched
            endpoint = getattr(route, "path", None) or UNMATCHED_ENDPOINT
            self.metrics.observe_request(endpoint, scope["method"], status_code, time.perf_counter() - start)


# ---------------------------------------------------------------------------------------------------------
# Pieces every server app shares


def create_app(
    title: str,
    description: str,
    allowed_origins: Sequence[str] | None = None,
    metrics: ServerMetrics | None = None,
) -> Any:
    """A FastAPI app answering errors as ``{"error": ...}``, with CORS for ``allowed_origins`` and, with
    ``metrics``, request metrics and ``GET /metrics``. The caller adds its routes."""
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, Response
    from starlette.exceptions import HTTPException as StarletteHTTPException

    app = FastAPI(title=title, description=description)
    if metrics is not None:
        app.add_middleware(_MetricsMiddleware, metrics=metrics)

        @app.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
        async def prometheus_metrics() -> Response:
            body, media_type = metrics.exposition()
            return Response(body, media_type=media_type)

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

    return app


async def read_body(request: Any, max_payload_bytes: int) -> bytes:
    """The request body; answers 413 past ``max_payload_bytes`` (declared or streamed) and 400 when it is empty."""
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


def content_type(request: Any) -> str:
    """The media type of the request body, lower case, without parameters ("" when none is declared)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def parse_json(body: bytes, what: str) -> Any:
    """``body`` parsed as JSON; answers 400 naming ``what`` when it is not valid JSON."""
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise RequestError(400, f"{what} is not valid JSON: {e}.") from None


class Predictor:
    """Predicts DataFrames with a shared model: one call at a time, in a worker thread, within a time limit."""

    def __init__(self, model: Any, timeout: float | None, metrics: ServerMetrics | None = None):
        self.model = model
        self.timeout = timeout
        self.metrics = metrics
        self.lock = threading.Lock()

    def predict_now(self, frame: Any) -> Any:
        """``model.predict(frame)``'s predictions; a value preprocessing cannot read answers 422."""
        from ludwig.error import InputDataError

        try:
            with self.lock:
                start = time.perf_counter()
                predictions, _ = self.model.predict(frame)
                seconds = time.perf_counter() - start
        except InputDataError as e:  # its message names the column
            raise RequestError(422, str(e)) from None
        if self.metrics is not None:
            self.metrics.observe_prediction(len(frame), seconds)
        return predictions

    async def __call__(self, frame: Any) -> Any:
        """The predictions of ``frame``, computed off the event loop; answers 504 past the time limit."""
        import anyio

        try:
            with anyio.fail_after(self.timeout):
                return await anyio.to_thread.run_sync(self.predict_now, frame, abandon_on_cancel=True)
        except TimeoutError:
            raise RequestError(504, f"Prediction timed out after {self.timeout}s") from None


# ---------------------------------------------------------------------------------------------------------
# The app of ``ludwig serve``


def _request_schema(specs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The OpenAPI schema of one record: a property per input feature."""
    properties = {}
    for column, feature_type in specs:
        if feature_type in NUMBER_INPUT_TYPES:
            properties[column] = {"type": "number", "description": f"{feature_type} input feature"}
        else:
            properties[column] = {"type": "string", "description": f"{feature_type} input feature"}
    return {"type": "object", "properties": properties, "required": [column for column, _ in specs]}


def dataset_schema(specs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The OpenAPI schema of a dataset in pandas ``split`` orientation."""
    return {
        "type": "object",
        "properties": {
            "columns": {"type": "array", "items": {"type": "string"}, "example": [column for column, _ in specs]},
            "data": {"type": "array", "items": {"type": "array", "items": {}}},
            "index": {"type": "array", "items": {}},
        },
        "required": ["columns", "data"],
    }


async def _read_form(request: Any) -> dict[str, Any]:
    from starlette.datastructures import UploadFile

    try:
        form = await request.form()
    except Exception as e:  # malformed multipart or urlencoded bodies
        raise RequestError(400, f"Request body is not a valid form: {e}.") from None
    fields = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            raise RequestError(400, f"Field {key!r} is a file upload; file inputs are not supported by this server.")
        fields[key] = value
    return fields


async def _read_record(request: Any, body: bytes) -> dict[str, Any]:
    """The fields of a form body, or the object of a JSON body."""
    kind = content_type(request)
    if kind == "application/json":
        record = parse_json(body, "Request body")
        if not isinstance(record, dict):
            raise RequestError(400, "Request body must be a JSON object mapping input feature names to values.")
        return record
    if kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return await _read_form(request)
    raise RequestError(
        415, f"Unsupported content type {kind!r}; use multipart/form-data, a urlencoded form or application/json."
    )


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
    """
    from fastapi import Request
    from fastapi.responses import JSONResponse

    specs = input_feature_specs(model)
    metrics = ServerMetrics.if_available()
    predictor = Predictor(model, prediction_timeout, metrics)
    feature_list = ", ".join(f"`{column}` ({feature_type})" for column, feature_type in specs) or "none"
    app = create_app(
        "Ludwig model server",
        f"Predictions of a Ludwig model. Input features: {feature_list}.",
        allowed_origins,
        metrics,
    )
    app.state.metrics = metrics

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

    record_schema = _request_schema(specs)
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
        record = await _read_record(request, await read_body(request, max_payload_bytes))
        predictions = await predictor(frame_of_records([record], specs))
        return JSONResponse(to_jsonable(predictions.iloc[0].to_dict()))

    @app.post(
        "/batch_predict",
        summary="Predict a dataset in pandas 'split' orientation",
        openapi_extra=body_doc(dataset_schema(specs), dataset_form_schema),
    )
    async def batch_predict(request: Request) -> JSONResponse:
        body = await read_body(request, max_payload_bytes)
        if content_type(request) == "application/json":
            payload = parse_json(body, "Request body")
            if isinstance(payload, dict) and "dataset" in payload and "columns" not in payload:
                payload = payload["dataset"]
        else:
            fields = await _read_record(request, body)
            if "dataset" not in fields:
                raise RequestError(
                    400, "Form field 'dataset' is missing; it holds the JSON dataset (split orientation)."
                )
            payload = parse_json(fields["dataset"].encode(), "Field 'dataset'")
        predictions = await predictor(parse_split_dataset(payload, specs))
        return JSONResponse(to_jsonable(predictions.to_dict("split")))

    return app


# ---------------------------------------------------------------------------------------------------------
# Command line


def serve_app(app: Any, host: str, port: int, banner: str, command: str = "serve", logging_level: int = logging.INFO):
    """Run ``app`` with uvicorn on ``host:port`` until interrupted; prints ``banner`` and the address once bound.

    Ctrl-C (SIGINT) or SIGTERM stops it cleanly; an address that cannot be bound exits with status 1.
    """
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level=logging.getLevelName(max(logging_level, 10)).lower())

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets=sockets)
            if self.started:  # bound: say where (uvicorn exits with status 3 when the address is taken)
                print(f"{banner} on http://{host}:{port} (press Ctrl-C to stop)", flush=True)

    uvicorn_server = Server(config)
    try:
        uvicorn_server.run()
    except KeyboardInterrupt:
        # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal: a requested stop is a clean exit.
        pass
    if not uvicorn_server.started:
        print(
            f"ludwig {command}: error: could not start the server on {host}:{port} (see the log above)",
            file=sys.stderr,
        )
        sys.exit(1)
    print("Ludwig server stopped", flush=True)


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
    from ludwig.api import LudwigModel

    model = LudwigModel.load(model_path, logging_level=logging_level)
    app = server(model, allowed_origins, max_payload_bytes=max_payload_bytes, prediction_timeout=prediction_timeout)
    serve_app(app, host, port, f"Ludwig server serving {model_path}", logging_level=logging_level)


def build_parser(command: str = "serve", description: str = "") -> Any:
    """The parser of ``ludwig serve`` (and of the other servers, which take the same flags)."""
    parser = cli_utils.make_parser(
        command, description or "Serve a trained model over HTTP (REST endpoints /predict, /batch_predict)."
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


def require_server_packages(command: str = "serve") -> None:
    """Exit with status 1 and the install command when fastapi or uvicorn is missing."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as e:
        print(f"ludwig {command}: error: {e}. Install the server extra: pip install 'ludwig[serve]'", file=sys.stderr)
        sys.exit(1)


def cli(sys_argv: Sequence[str]) -> None:
    args = build_parser().parse_args(sys_argv)
    level = cli_utils.setup_logging(args.logging_level)
    with cli_utils.handle_errors("serve", level):
        require_server_packages()
        run_server(
            args.model_path,
            host=args.host,
            port=args.port,
            allowed_origins=args.allowed_origins,
            prediction_timeout=args.prediction_timeout,
            max_payload_bytes=int(args.max_payload_mb * 1024 * 1024),
            logging_level=level,
        )
