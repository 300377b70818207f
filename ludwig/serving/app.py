"""The FastAPI app every Ludwig server starts from: errors answered as ``{"error": ...}``, CORS and ``/metrics``.

The servers (``ludwig.serve``, ``ludwig.serve_v2``) add their own routes to it.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the annotations of the ``/metrics`` endpoint at run
# time, and ``Response`` is imported inside ``create_app``.
import logging
from collections.abc import Sequence
from typing import Any

from ludwig.serving.metrics import MetricsMiddleware, ServerMetrics
from ludwig.serving.requests import RequestError

logger = logging.getLogger(__name__)

HEALTH_MESSAGE = "Ludwig server is up"
SERVER_FAULT_MESSAGE = "Unexpected Error: could not run inference on model"


def create_app(title: str, description: str, allowed_origins: Sequence[str] | None = None) -> Any:
    """A FastAPI app answering errors as ``{"error": ...}``, with CORS for ``allowed_origins``. The caller adds its
    routes.

    ``RequestError`` answers its status and message; a server fault answers 500 without a traceback (which is
    logged on the server only). With ``prometheus_client`` installed the app records request metrics and answers
    ``GET /metrics``; ``app.state.metrics`` is its ``ServerMetrics`` (None without ``prometheus_client``), for the
    caller's ``Predictor`` to record predictions in.
    """
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, Response
    from starlette.exceptions import HTTPException as StarletteHTTPException

    app = FastAPI(title=title, description=description)
    app.state.metrics = metrics = ServerMetrics.if_available()
    if metrics is not None:
        app.add_middleware(MetricsMiddleware, metrics=metrics)

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
        return JSONResponse({"error": SERVER_FAULT_MESSAGE}, status_code=500)

    return app
