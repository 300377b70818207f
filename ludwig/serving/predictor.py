"""Predictions on the model a server shares between its requests: one at a time, off the event loop, in time."""

import threading
import time
from typing import Any

from ludwig.serving.metrics import ServerMetrics
from ludwig.serving.requests import RequestError

DEFAULT_PREDICTION_TIMEOUT_S = 30.0


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
