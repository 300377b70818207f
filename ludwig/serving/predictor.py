"""Predictions on the model a server shares between its requests: off the event loop, in time, batched.

Requests that arrive while the model is busy wait in a queue; the next ``model.predict`` call takes all of them
at once (up to ``max_batch_rows`` rows) and each request gets its own rows back. A call on one row costs about as
much as a call on a hundred (preprocessing, the forward pass and postprocessing each have a fixed cost), so under
concurrent load the server answers many requests for the price of one, and an idle server answers at once.

A request's answer must not depend on the requests it shares a call with, so requests share one only when each
row is then read as it is alone: the model predicts rows independently (ECD and GBM models), no input infers
something from the whole column (a date input without ``datetime_format`` guesses it from the first value), and
the requests' values have the same Python types column by column (``requests.batch_key``). A shared call that fails
is redone one request at a time, so that only the request at fault gets the error.
"""

import logging
import threading
import time
from collections import deque
from typing import Any

from ludwig.serving.metrics import ServerMetrics
from ludwig.serving.requests import InputRows, RequestError, frame_of_rows, input_feature_specs
from ludwig.serving.responses import PredictedRows, jsonable_rows

logger = logging.getLogger(__name__)

DEFAULT_PREDICTION_TIMEOUT_S = 30.0
#: The most rows one ``model.predict`` call takes from waiting requests (a larger request is predicted alone).
DEFAULT_MAX_BATCH_ROWS = 256
#: Model types whose predictions of a row do not depend on the other rows of the call, so requests may share one.
BATCHABLE_MODEL_TYPES = ("ecd", "gbm")


def shares_calls(config: Any) -> bool:
    """Whether requests to a model with config object ``config`` may share ``model.predict`` calls: it predicts rows
    independently and none of its inputs reads a row in the light of the others (a date input without
    ``preprocessing.datetime_format`` guesses the format from the column's first value)."""
    if getattr(config, "model_type", "ecd") not in BATCHABLE_MODEL_TYPES:
        return False
    for feature in config.input_features:
        if feature.type == "date" and getattr(feature.preprocessing, "datetime_format", None) is None:
            return False
    return True


class _Job:
    """One request waiting for its predictions; ``future`` (an ``asyncio.Future``) belongs to the event loop
    ``loop``."""

    __slots__ = ("rows", "loop", "future")

    def __init__(self, rows: InputRows, loop: Any, future: Any):
        self.rows = rows
        self.loop = loop
        self.future = future


class Predictor:
    """Predicts the rows of requests with a shared model, in a worker thread, within a time limit.

    Args:
        model: the loaded ``LudwigModel``.
        timeout: seconds a request waits for its predictions before it answers 504 (None: no limit).
        metrics: the server's metrics, which record each ``model.predict`` call.
        max_batch_rows: the most rows of waiting requests predicted in one call (1: one request per call).
    """

    def __init__(
        self,
        model: Any,
        timeout: float | None,
        metrics: ServerMetrics | None = None,
        max_batch_rows: int = DEFAULT_MAX_BATCH_ROWS,
    ):
        self.model = model
        self.timeout = timeout
        self.metrics = metrics
        self.specs = input_feature_specs(model)
        self.max_batch_rows = max_batch_rows if shares_calls(model.config_obj) else 1
        self.lock = threading.Lock()  # one model.predict at a time
        self._queue_lock = threading.Lock()
        self._queue: deque[_Job] = deque()
        self._draining = False  # a worker is taking jobs from the queue

    @property
    def waiting(self) -> int:
        """How many requests wait for the model (queued, not yet being predicted)."""
        return len(self._queue)

    def predict_frame(self, frame: Any) -> Any:
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

    def predict_rows(self, batches: list[InputRows]) -> list[PredictedRows]:
        """The predictions of each of ``batches``, from one ``model.predict`` call on all their rows."""
        predictions = self.predict_frame(frame_of_rows(batches, self.specs))
        if len(predictions) != sum(batch.num_rows for batch in batches):
            raise RuntimeError(f"model.predict answered {len(predictions)} rows for {len(batches)} requests")
        columns, rows = jsonable_rows(predictions)
        answers, start = [], 0
        for batch in batches:
            answers.append(PredictedRows(columns, rows[start : start + batch.num_rows], batch.labels()))
            start += batch.num_rows
        return answers

    async def __call__(self, rows: InputRows) -> PredictedRows:
        """The predictions of ``rows``, computed off the event loop; answers 504 past the time limit."""
        import asyncio

        loop = asyncio.get_running_loop()
        job = _Job(rows, loop, loop.create_future())
        with self._queue_lock:
            self._queue.append(job)
            start_worker = not self._draining
            self._draining = True
        if start_worker:
            loop.run_in_executor(None, self._drain)
        try:
            # On timeout the job's future is cancelled: a job still queued is then skipped, not predicted.
            return await asyncio.wait_for(job.future, self.timeout)
        except asyncio.TimeoutError:  # the builtin TimeoutError from Python 3.11 on
            raise RequestError(504, f"Prediction timed out after {self.timeout}s") from None

    def _take(self) -> list[_Job]:
        """The next jobs to predict together (none when the queue is empty): the first waiting one, then the others
        with its batch key while they fit in ``max_batch_rows``. Jobs whose request timed out are dropped."""
        with self._queue_lock:
            while self._queue and self._queue[0].future.cancelled():
                self._queue.popleft()
            if not self._queue:
                self._draining = False
                return []
            first = self._queue.popleft()
            jobs, rows = [first], first.rows.num_rows
            key = first.rows.batch_key
            if key is None or self.max_batch_rows <= rows or not self._queue:
                return jobs
            left: deque[_Job] = deque()
            for job in self._queue:
                if job.future.cancelled():
                    continue
                if job.rows.batch_key == key and rows + job.rows.num_rows <= self.max_batch_rows:
                    jobs.append(job)
                    rows += job.rows.num_rows
                else:
                    left.append(job)
            self._queue = left
        return jobs

    def _drain(self) -> None:
        """Predict queued jobs until the queue is empty (runs in a worker thread)."""
        try:
            while jobs := self._take():
                self._answer(jobs)
        except BaseException:  # never leave the queue without a worker
            with self._queue_lock:
                self._draining = False
            raise

    def _answer(self, jobs: list[_Job]) -> None:
        try:
            outcomes: list[Any] = self.predict_rows([job.rows for job in jobs])
        except Exception as error:
            if len(jobs) == 1:
                outcomes = [error]
            else:  # find the request at fault: predict each alone
                outcomes = []
                for job in jobs:
                    try:
                        outcomes.append(self.predict_rows([job.rows])[0])
                    except Exception as single_error:
                        outcomes.append(single_error)
        by_loop: dict[Any, list[tuple[Any, Any]]] = {}
        for job, outcome in zip(jobs, outcomes):
            by_loop.setdefault(job.loop, []).append((job.future, outcome))
        for loop, results in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, results)
            except RuntimeError:  # the loop was closed while predicting: nobody waits for these answers
                logger.debug("Dropped %d answers of a closed event loop", len(results))


def _settle(results: list[tuple[Any, Any]]) -> None:
    """Hand each waiting request its predictions or its error (runs on the request's event loop)."""
    for future, outcome in results:
        if future.done():  # timed out meanwhile
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
