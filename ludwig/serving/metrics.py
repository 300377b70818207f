"""The Prometheus metrics of a server app (``GET /metrics``) and the ASGI middleware that records them.

``prometheus_client`` is optional: ``ServerMetrics.if_available()`` answers None without it, and the server then
has no ``/metrics``.
"""

import time
from collections.abc import Callable
from typing import Any, Optional

#: Latency histogram buckets in seconds: fine below 10 ms (a tabular model predicts one row in a few ms).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: The ``endpoint`` label of requests that match no route (one label for all, whatever the path).
UNMATCHED_ENDPOINT = "<unmatched>"


class ServerMetrics:
    """The Prometheus metrics of one server app, in a registry of its own (several apps can live in one process).

    * ``ludwig_serve_requests_total{endpoint, method, status_code}``: requests answered;
    * ``ludwig_serve_request_latency_seconds{endpoint}``: histogram of the time from request to response;
    * ``ludwig_serve_prediction_latency_seconds``: histogram of the time each ``model.predict`` call took
      (preprocessing, model and postprocessing, without waiting for the model), on the rows of one or more requests;
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
            "Time each model.predict call took on the rows of one or more requests (preprocessing, model, output).",
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
        """Count one answered request and record its latency."""
        self.requests.labels(endpoint, method, str(status_code)).inc()
        self.request_latency.labels(endpoint).observe(seconds)

    def observe_prediction(self, rows: int, seconds: float) -> None:
        """Record one ``model.predict`` call on ``rows`` rows that took ``seconds``."""
        self.prediction_latency.observe(seconds)
        self.predicted_rows.inc(rows)

    def exposition(self) -> tuple[bytes, str]:
        """The metrics in the Prometheus text format, and its content type."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class MetricsMiddleware:
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
