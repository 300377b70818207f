"""The FastAPI app every Ludwig server starts from: errors answered as ``{"error": ...}``, CORS and ``/metrics``.

The servers (``ludwig.serve``, ``ludwig.serve_v2``) add their own routes to it.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the annotations of the ``/metrics`` endpoint at run
# time, and ``Response`` is imported inside ``create_app``.
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from ludwig.serving.metrics import MetricsMiddleware, ServerMetrics
from ludwig.serving.requests import RequestError

logger = logging.getLogger(__name__)

HEALTH_MESSAGE = "Ludwig server is up"
SERVER_FAULT_MESSAGE = "Unexpected Error: could not run inference on model"


class ServerFaultMiddleware:
    """ASGI middleware answering an exception that escapes a route with a clean 500 ``{"error": ...}``.

    The traceback is logged on the server only. Unlike an exception left to the outermost error handler (which
    uvicorn answers by closing the connection once the 500 is sent), the connection stays open for the client's
    next request.
    """

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_and_watch(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        except Exception:
            logger.exception("%s %s failed", scope["method"], scope["path"])
            if started:  # part of an answer is out: only closing the connection can tell the client
                raise
            body = json.dumps({"error": SERVER_FAULT_MESSAGE}).encode()
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 500, "headers": headers})
            await send({"type": "http.response.body", "body": body})


def create_app(title: str, description: str, allowed_origins: Sequence[str] | None = None) -> Any:
    """A FastAPI app answering errors as ``{"error": ...}``, with CORS for ``allowed_origins``. The caller adds its
    routes.

    ``RequestError`` answers its status and message; a server fault answers 500 without a traceback (which is
    logged on the server only) and keeps the connection open. With ``prometheus_client`` installed the app records
    request metrics and answers ``GET /metrics``; ``app.state.metrics`` is its ``ServerMetrics`` (None without
    ``prometheus_client``), for the caller's ``Predictor`` to record predictions in.
    """
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, Response
    from starlette.exceptions import HTTPException as StarletteHTTPException

    app = FastAPI(title=title, description=description)
    app.add_middleware(ServerFaultMiddleware)  # first added, so innermost: the metrics count its 500s
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
    async def _request_error(request: Request, error: RequestError) -> Response:
        logger.info("%s %s -> %d: %s", request.method, request.url.path, error.status_code, error.message)
        # ASCII JSON: a message quoting what the client sent can always be encoded
        return Response(json.dumps({"error": error.message}), error.status_code, media_type="application/json")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(error.detail)}, status_code=error.status_code, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": str(error.errors())}, status_code=422)

    @app.exception_handler(Exception)  # the last resort, for a fault in a middleware outside ServerFaultMiddleware
    async def _server_error(request: Request, error: Exception) -> JSONResponse:
        logger.exception("%s %s failed", request.method, request.url.path)
        return JSONResponse({"error": SERVER_FAULT_MESSAGE}, status_code=500)

    return app
