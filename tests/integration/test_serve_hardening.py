"""Malformed requests against the real servers (``ludwig serve`` and ``ludwig.serve_v2`` under uvicorn on loopback):
each answers a 4xx naming the field, the value or the limit, never a 500 or a dropped connection; only a real server
fault answers 500, and the connection stays open after it. Also: concurrent requests share ``model.predict`` calls
and each still gets exactly its own predictions."""

from __future__ import annotations

import gc
import http.client
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

fastapi = pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")
pytest.importorskip("multipart")

from ludwig import serve_v2  # noqa: E402
from ludwig.api import LudwigModel  # noqa: E402
from ludwig.serve import server  # noqa: E402
from ludwig.serving.bodies import MAX_JSON_DEPTH  # noqa: E402
from ludwig.serving.predictor import Predictor  # noqa: E402

from .test_serve import CONFIG, INPUTS, ServerThread, assert_record_matches, form_of, rows, titanic_like  # noqa: E402

#: A valid H3 cell (resolution 2), the value of every row of the h3 input.
H3_CELL = 586172738511568895
ALL_TYPES = {
    "num_in": "number",
    "cat_in": "category",
    "bin_in": "binary",
    "vec_in": "vector",
    "text_in": "text",
    "set_in": "set",
    "bag_in": "bag",
    "seq_in": "sequence",
    "ts_in": "timeseries",
    "date_in": "date",
    "h3_in": "h3",
}


def all_types_frame(num_rows: int = 120, seed: int = 0) -> pd.DataFrame:
    """One input column of each servable type and a binary target."""
    rng = np.random.default_rng(seed)
    words = ["good", "bad", "fine", "poor", "great", "awful"]

    def numbers(size: int) -> list[str]:
        return [" ".join(f"{v:.3f}" for v in rng.normal(size=size)) for _ in range(num_rows)]

    return pd.DataFrame(
        {
            "num_in": rng.normal(size=num_rows),
            "cat_in": rng.choice(list("abcd"), num_rows),
            "bin_in": rng.random(num_rows) < 0.5,
            "vec_in": numbers(3),
            "text_in": [" ".join(rng.choice(words, 4)) for _ in range(num_rows)],
            "set_in": [" ".join(rng.choice(list("xyz"), 2)) for _ in range(num_rows)],
            "bag_in": [" ".join(rng.choice(list("xyz"), 3)) for _ in range(num_rows)],
            "seq_in": [" ".join(rng.choice(words, 3)) for _ in range(num_rows)],
            "ts_in": numbers(4),
            "date_in": pd.date_range("2020-01-01", periods=num_rows).strftime("%Y-%m-%d"),
            "h3_in": [H3_CELL] * num_rows,
            "out": rng.random(num_rows) < 0.5,
        }
    )


def trained_in_memory(config: dict, df: pd.DataFrame, output_directory) -> LudwigModel:
    """A model trained on ``df`` that is served from memory (no model folder written)."""
    model = LudwigModel(config, logging_level=40)
    model.train(
        dataset=df,
        output_directory=str(output_directory),
        skip_save_processed_input=True,
        skip_save_model=True,
        skip_save_log=True,
    )
    return model


@pytest.fixture(scope="module")
def titanic_model(tmp_path_factory) -> LudwigModel:
    return trained_in_memory(CONFIG, titanic_like(), tmp_path_factory.mktemp("hardening_titanic"))


@pytest.fixture(scope="module")
def all_types_model(tmp_path_factory) -> LudwigModel:
    config = {
        "input_features": [{"name": name, "type": kind} for name, kind in ALL_TYPES.items()],
        "output_features": [{"name": "out", "type": "binary"}],
        "trainer": {"epochs": 1, "batch_size": 32},
    }
    # a date format, so that requests may share predict calls (see test_requests_share_calls_only_when_safe)
    config["input_features"][list(ALL_TYPES).index("date_in")]["preprocessing"] = {"datetime_format": "%Y-%m-%d"}
    return trained_in_memory(config, all_types_frame(), tmp_path_factory.mktemp("hardening_all_types"))


@pytest.fixture(scope="module")
def titanic_url(titanic_model):
    with ServerThread(server(titanic_model, prediction_timeout=30)) as running:
        yield running.url


@pytest.fixture(scope="module")
def all_types_urls(all_types_model):
    with ServerThread(server(all_types_model)) as v1, ServerThread(serve_v2.server(all_types_model)) as v2:
        yield v1.url, v2.url


@pytest.fixture
def client(titanic_url):
    with httpx.Client(base_url=titanic_url, timeout=30) as http:
        yield http


def all_types_record() -> dict:
    """The first row of the all-types data as a JSON record."""
    row = all_types_frame().iloc[0]
    return {column: row[column].item() if hasattr(row[column], "item") else row[column] for column in ALL_TYPES}


def json_with(record: dict, column: str, literal: str) -> bytes:
    """``record`` as JSON text whose ``column`` holds the raw JSON ``literal`` (which json.dumps cannot write)."""
    parts = [f"{json.dumps(k)}: {literal if k == column else json.dumps(v)}" for k, v in record.items()]
    return ("{" + ", ".join(parts) + "}").encode()


def split_with(record: dict, column: str, literal: str) -> bytes:
    """A one-row dataset in split orientation whose ``column`` holds the raw JSON ``literal``."""
    values = ", ".join(literal if k == column else json.dumps(v) for k, v in record.items())
    return f'{{"columns": {json.dumps(list(record))}, "data": [[{values}]]}}'.encode()


JSON = {"content-type": "application/json"}
URLENCODED = {"content-type": "application/x-www-form-urlencoded"}


def error_of(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/json"), response.text
    return response.json()["error"]


# ---------------------------------------------------------------------------------------------------------
# Nesting depth


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1000, 100_000])
def test_deeply_nested_json_is_400_naming_the_limit(client, all_types_urls, depth):
    deep = b"[" * depth + b"]" * depth
    answers = [
        client.post("/predict", content=deep, headers=JSON),
        client.post("/batch_predict", content=deep, headers=JSON),
        client.post("/batch_predict", data={"dataset": deep.decode()}),
        client.post("/predict", content=b'{"Age": ' + deep + b"}", headers=JSON),
        httpx.post(all_types_urls[1] + "/batch_predict", content=deep, headers=JSON, timeout=30),
    ]
    for response, found in zip(answers, [depth, depth, depth, depth + 1, depth]):
        assert response.status_code == 400, response.text
        assert f"nests arrays and objects {found} deep; the nesting limit is {MAX_JSON_DEPTH} levels" in error_of(
            response
        )


def test_nesting_within_the_limit_and_brackets_inside_strings_are_read(client, titanic_model):
    frame = rows(1, seed=20)
    record = form_of(frame.iloc[0]) | {"Embarked": "[" * 500 + "{" * 500}  # text, not nesting
    response = client.post("/predict", json=record)
    assert response.status_code == 200, response.text
    frame.loc[0, "Embarked"] = record["Embarked"]
    predictions, _ = titanic_model.predict(frame)
    assert_record_matches(response.json(), predictions.iloc[0].to_dict())
    # a body exactly at the limit is parsed, and then refused for its shape (an array is not a record)
    at_limit = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    response = client.post("/predict", content=at_limit, headers=JSON)
    assert response.status_code == 400 and "JSON object" in error_of(response)


# ---------------------------------------------------------------------------------------------------------
# Huge and non-finite numbers


def test_1e308_in_a_batch_column_is_422_naming_column_and_value(client):
    frame = rows(3, seed=21)
    dataset = json.loads(frame.to_json(orient="split"))
    dataset["data"][1][INPUTS.index("Pclass")] = "@"
    text = json.dumps(dataset).replace('"@"', "1e308")
    response = client.post("/batch_predict", content=text.encode(), headers=JSON)
    assert response.status_code == 422, response.text
    error = error_of(response)
    assert "'Pclass'" in error and "row 1" in error and "1e+308" in error


#: Raw JSON literals no feature can hold, except the finite ones (1e308, -1e308), which number and timeseries
#: features can (a vector of 3 refuses one lone value in preprocessing, which names the column too).
HUGE_LITERALS = ["1e308", "-1e308", "1e999", "9" * 400, "1" + "0" * 5000, "NaN", "Infinity", "-Infinity"]


def test_huge_and_non_finite_numbers_in_each_feature_type_are_422_naming_the_feature(all_types_urls):
    """Every input type, every endpoint: the answer is 422 naming the feature (or 200 for a finite number given to
    a number or timeseries feature), never a 500 or a dropped connection."""
    record = all_types_record()
    wrong = []
    with httpx.Client(timeout=30) as http:
        for column, feature_type in ALL_TYPES.items():
            for literal in HUGE_LITERALS:
                readable = feature_type in ("number", "timeseries") and literal in ("1e308", "-1e308")
                for url, path, body in [
                    (all_types_urls[0], "/predict", json_with(record, column, literal)),
                    (all_types_urls[0], "/batch_predict", split_with(record, column, literal)),
                    (all_types_urls[1], "/predict", json_with(record, column, literal)),
                    (all_types_urls[1], "/batch_predict", b"[" + json_with(record, column, literal) + b"]"),
                ]:
                    response = http.post(url + path, content=body, headers=JSON)
                    ok = (
                        response.status_code == 200
                        if readable
                        else (response.status_code == 422 and column in error_of(response))
                    )
                    if not ok:
                        wrong.append((column, literal[:12], path, response.status_code, response.text[:160]))
    assert not wrong, "\n".join(map(str, wrong))


def test_nan_and_infinity_literals_name_the_field_and_say_why(client):
    record = form_of(rows(1, seed=22).iloc[0]) | {"Age": 30.0, "Fare": 7.25}
    for literal in ("NaN", "Infinity", "-Infinity"):
        response = client.post("/predict", content=json_with(record, "Age", literal), headers=JSON)
        assert response.status_code == 422, response.text
        error = error_of(response)
        assert "'Age'" in error and literal in error and "null is a missing value" in error
    response = client.post("/predict", content=json_with(record, "Age", "null"), headers=JSON)
    assert response.status_code == 200, response.text  # null is the missing value JSON has


# ---------------------------------------------------------------------------------------------------------
# Connections stay open


def exchange(port: int, requests: list[tuple[str, str, bytes]]) -> list[tuple[int, dict] | None]:
    """Send each ``(path, content type, body)`` in turn on ONE keep-alive connection; the status and JSON of each
    answer, or None where the connection gave none (closed by the server)."""
    answers: list[tuple[int, dict] | None] = []
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        for path, kind, body in requests:
            head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
            try:
                sock.sendall(head.encode("latin-1") + b"\r\n" + body)
                response = http.client.HTTPResponse(sock)
                response.begin()
                answers.append((response.status, json.loads(response.read())))
            except (OSError, http.client.HTTPException):
                answers.append(None)
    return answers


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def test_deep_batch_and_non_utf8_form_answer_4xx_on_a_connection_that_stays_open(titanic_url):
    valid = "&".join(f"{k}={v}" for k, v in form_of(rows(1, seed=23).iloc[0]).items()).encode()
    non_utf8 = valid.replace(b"Sex=", b"Sex=\xff\xfe", 1)
    deep = b"[" * 100_000 + b"]" * 100_000
    answers = exchange(
        port_of(titanic_url),
        [
            ("/batch_predict", "application/json", deep),
            ("/predict", "application/x-www-form-urlencoded", non_utf8),
            ("/batch_predict", "application/x-www-form-urlencoded", b"dataset=%ff%fe"),
            ("/predict", "application/x-www-form-urlencoded", valid),
        ],
    )
    assert None not in answers, answers
    (deep_status, deep_body), (form_status, form_body), (batch_status, batch_body), (ok_status, _) = answers
    assert deep_status == 400 and "nesting limit" in deep_body["error"]
    assert form_status == 400 and "'Sex'" in form_body["error"] and "utf-8" in form_body["error"]
    assert batch_status == 400 and "'dataset'" in batch_body["error"] and "utf-8" in batch_body["error"]
    assert ok_status == 200


def test_server_fault_is_500_and_the_connection_stays_open(titanic_model):
    class FailsOnceModel:
        """The model, failing its first predict with an internal error."""

        config_obj = titanic_model.config_obj
        failed = False

        def predict(self, frame):
            if not FailsOnceModel.failed:
                FailsOnceModel.failed = True
                raise RuntimeError("internal detail")
            return titanic_model.predict(frame)

    form = "&".join(f"{k}={v}" for k, v in form_of(rows(1, seed=24).iloc[0]).items()).encode()
    request = ("/predict", "application/x-www-form-urlencoded", form)
    with ServerThread(server(FailsOnceModel())) as running:
        answers = exchange(running.port, [request, request])
    assert answers[0] == (500, {"error": "Unexpected Error: could not run inference on model"})
    assert answers[1] is not None and answers[1][0] == 200, answers


# ---------------------------------------------------------------------------------------------------------
# Other request shapes


def test_form_bytes_that_are_not_text_are_400_naming_the_field(client):
    form = form_of(rows(1, seed=25).iloc[0])
    multipart = {column: (None, value.encode()) for column, value in form.items()} | {"Sex": (None, b"\xff\xfe\x00")}
    response = client.post("/predict", files=multipart)
    assert response.status_code == 400, response.text
    assert "'Sex'" in error_of(response) and "utf-8" in error_of(response)
    garbage = client.post(
        "/predict", content=b"\x00\xff" * 500, headers={"content-type": "multipart/form-data; boundary=xyz"}
    )
    assert garbage.status_code == 400 and "multipart" in error_of(garbage)
    response = client.post("/predict", content=b"\xff=1", headers=URLENCODED)
    assert response.status_code == 400 and "field name" in error_of(response)
    response = client.post("/predict", content=b"Age=1", headers={"content-type": "multipart/form-data"})
    assert response.status_code == 400 and "boundary" in error_of(response)


def test_a_latin1_form_that_says_so_is_read(client, titanic_model):
    frame = rows(1, seed=26)
    frame.loc[0, "Embarked"] = "Cherbourg-é"
    body = "&".join(f"{k}={v}" for k, v in form_of(frame.iloc[0]).items()).encode("latin-1")
    response = client.post(
        "/predict", content=body, headers={"content-type": URLENCODED["content-type"] + "; charset=latin-1"}
    )
    assert response.status_code == 200, response.text
    predictions, _ = titanic_model.predict(frame)
    assert_record_matches(response.json(), predictions.iloc[0].to_dict())
    response = client.post(
        "/predict", content=body, headers={"content-type": "application/x-www-form-urlencoded; charset=nope"}
    )
    assert response.status_code == 415 and "nope" in error_of(response)


@pytest.mark.parametrize(
    "headers, message",
    [({"content-type": "text/plain"}, "'text/plain'"), ({}, "no content type"), ({"content-type": "x;;;"}, "'x'")],
)
def test_wrong_or_missing_content_type_is_415(titanic_url, all_types_urls, headers, message):
    for url in (titanic_url, all_types_urls[1]):
        response = httpx.post(url + "/predict", content=b"Age=3", headers=headers, timeout=30)
        if url == all_types_urls[1] and not headers:
            assert response.status_code == 400  # the JSON API reads a body without a content type as JSON
            continue
        assert response.status_code == 415, response.text
        assert message in error_of(response)


def test_lone_surrogates_and_unreadable_labels_are_4xx(client, all_types_urls):
    record = form_of(rows(1, seed=27).iloc[0])
    body = json.dumps(record).replace(json.dumps(record["Sex"]), '"\\ud800"').encode()
    response = client.post("/predict", content=body, headers=JSON)
    assert response.status_code == 422 and "'Sex'" in error_of(response) and "surrogate" in error_of(response)
    frame = rows(2, seed=28)
    dataset = json.loads(frame.to_json(orient="split"))
    for index, message in [(['"\\udfff"', "1"], "lone surrogate"), (["{}", "1"], "Label 0"), (["NaN", "1"], "Label 0")]:
        text = json.dumps(dataset | {"index": ["@0", "@1"]})
        for i, label in enumerate(index):
            text = text.replace(f'"@{i}"', label)
        response = client.post("/batch_predict", content=text.encode(), headers=JSON)
        assert response.status_code == 400, response.text
        assert message in error_of(response) and "dataset.index" in error_of(response)


def test_empty_lists_name_what_is_empty(client, all_types_urls):
    v1, v2 = all_types_urls
    assert httpx.post(v2 + "/batch_predict", json=[], timeout=30).status_code == 400
    response = client.post("/batch_predict", json={"columns": INPUTS, "data": []})
    assert response.status_code == 400 and "dataset.data" in error_of(response)
    response = client.post("/batch_predict", json={"columns": [], "data": [[]]})
    assert response.status_code == 400 and "Missing features" in error_of(response)
    response = client.post("/batch_predict", json={"columns": [1, 2], "data": [[1, 2]]})
    assert response.status_code == 400 and "dataset.columns" in error_of(response)
    record = all_types_record()
    response = httpx.post(v1 + "/predict", json=record | {"vec_in": []}, timeout=30)
    assert response.status_code == 422 and "vec_in" in error_of(response)
    response = httpx.post(v1 + "/predict", json=record | {"cat_in": []}, timeout=30)
    assert response.status_code == 422 and "'cat_in'" in error_of(response)
    response = httpx.post(v1 + "/predict", json=record | {"set_in": [["x"], "y"]}, timeout=30)
    assert response.status_code == 422 and "'set_in'" in error_of(response) and "flat list" in error_of(response)


def test_very_long_values_are_served_or_refused_with_a_short_message(titanic_url, titanic_model):
    frame = rows(1, seed=29)
    with httpx.Client(base_url=titanic_url, timeout=60) as http:
        response = http.post("/predict", json=form_of(frame.iloc[0]) | {"Age": "x" * 1_000_000})
        assert response.status_code == 422
        error = error_of(response)
        assert "'Age'" in error and "1000000 characters" in error and len(error) < 400
        frame.loc[0, "Sex"] = "y" * 1_000_000  # an unseen category: predicted as the unknown one
        response = http.post("/predict", json=form_of(frame.iloc[0]))
        assert response.status_code == 200, response.text[:300]
        predictions, _ = titanic_model.predict(frame)
        assert_record_matches(response.json(), predictions.iloc[0].to_dict())


# ---------------------------------------------------------------------------------------------------------
# Requests that wait share one model.predict call


class GatedModel:
    """The model, recording the rows of each predict call; the first call waits until ``release`` is set."""

    def __init__(self, model: LudwigModel):
        self.model = model
        self.config_obj = model.config_obj
        self.calls: list[int] = []
        self.started = threading.Event()
        self.release = threading.Event()

    def predict(self, frame: pd.DataFrame):
        self.calls.append(len(frame))
        self.started.set()
        assert self.release.wait(30)
        return self.model.predict(frame)


def wait_for(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_waiting_requests_share_one_predict_call_and_each_gets_its_own_rows(titanic_model):
    gated = GatedModel(titanic_model)
    app = server(gated)
    frame = rows(9, seed=30)
    batch = rows(4, seed=31)
    batch.index = [70, 71, 72, 73]
    with ServerThread(app) as running, ThreadPoolExecutor(max_workers=10) as pool:

        def post_record(i: int) -> httpx.Response:
            return httpx.post(running.url + "/predict", data=form_of(frame.iloc[i]), timeout=30)

        first = pool.submit(post_record, 0)
        assert gated.started.wait(30)
        others = [pool.submit(post_record, i) for i in range(1, 9)]
        dataset = json.loads(batch.to_json(orient="split"))
        batched = pool.submit(lambda: httpx.post(running.url + "/batch_predict", json=dataset, timeout=30))
        wait_for(lambda: app.state.predictor.waiting == 9, "9 queued requests")
        gated.release.set()
        answers = [first.result(), *(future.result() for future in others)]
        batch_answer = batched.result()
    assert gated.calls == [1, 12]  # the 8 records and the 4 rows of the batch in one call
    want, _ = titanic_model.predict(frame)
    for i, response in enumerate(answers):
        assert response.status_code == 200, response.text
        assert_record_matches(response.json(), want.iloc[i].to_dict())
    assert batch_answer.status_code == 200, batch_answer.text
    assert batch_answer.json()["index"] == [70, 71, 72, 73]
    want_batch, _ = titanic_model.predict(batch)
    got = pd.DataFrame(batch_answer.json()["data"], columns=batch_answer.json()["columns"])
    np.testing.assert_allclose(got["Survived_probability"], want_batch["Survived_probability"], atol=1e-6)


def test_a_bad_request_in_a_shared_call_fails_alone(all_types_model):
    gated = GatedModel(all_types_model)
    app = server(gated)
    good = all_types_frame(5, seed=32)[list(ALL_TYPES)]
    good["bin_in"] = good["bin_in"].map({True: "true", False: "false"})  # text, like the bad value: one batch key
    records = [json.loads(good.iloc[[i]].to_json(orient="records"))[0] for i in range(len(good))]
    bad = records[2] | {"bin_in": "maybe"}  # passes the server's checks, fails preprocessing
    with ServerThread(app) as running, ThreadPoolExecutor(max_workers=6) as pool:

        def post(record: dict) -> httpx.Response:
            return httpx.post(running.url + "/predict", json=record, timeout=30)

        first = pool.submit(post, records[0])
        assert gated.started.wait(30)
        queued = [pool.submit(post, record) for record in (records[1], bad, records[3], records[4])]
        wait_for(lambda: app.state.predictor.waiting == 4, "4 queued requests")
        gated.release.set()
        answers = [first.result(), *(future.result() for future in queued)]
    statuses = [response.status_code for response in answers]
    assert statuses == [200, 200, 422, 200, 200], [response.text for response in answers]
    assert gated.calls == [1, 4, 1, 1, 1, 1]  # the shared call failed: each of its requests predicted alone
    assert "bin_in" in error_of(answers[2])
    want, _ = all_types_model.predict(good.drop(index=2).reset_index(drop=True))
    for response, (_, row) in zip([answers[i] for i in (0, 1, 3, 4)], want.iterrows()):
        assert response.json()["out_probability"] == pytest.approx(float(row["out_probability"]), abs=1e-6)


def test_a_timed_out_request_that_still_waits_is_not_predicted(titanic_model):
    gated = GatedModel(titanic_model)
    app = server(gated, prediction_timeout=0.5)
    form = form_of(rows(1, seed=33).iloc[0])
    with ServerThread(app) as running, ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(lambda: httpx.post(running.url + "/predict", data=form, timeout=30))
        assert gated.started.wait(30)
        second = httpx.post(running.url + "/predict", data=form, timeout=30)  # waits behind the first, times out
        assert second.status_code == 504
        assert first.result().status_code == 504
        gated.release.set()
        wait_for(lambda: app.state.predictor.waiting == 0, "the queue to empty")
        time.sleep(0.2)
        assert gated.calls == [1]  # the second request was dropped from the queue, not predicted
        gated.started.clear()
        third = httpx.post(running.url + "/predict", data=form, timeout=30)
    assert third.status_code == 200 and gated.calls == [1, 1]


def test_requests_whose_values_differ_in_type_do_not_share_a_call(titanic_model):
    """A category sent as the float 3.0 reads as "3" alone, but as "3.0" in a column that also holds strings: such a
    request is predicted alone, and the others still share a call."""
    gated = GatedModel(titanic_model)
    app = server(gated)
    frame = rows(4, seed=34)
    records = [
        form_of(frame.iloc[i]) | {"Age": float(frame["Age"][i]), "Fare": float(frame["Fare"][i])} for i in range(4)
    ]
    records[1]["Pclass"] = 3.0
    with ServerThread(app) as running, ThreadPoolExecutor(max_workers=4) as pool:

        def post(record: dict) -> httpx.Response:
            return httpx.post(running.url + "/predict", json=record, timeout=30)

        first = pool.submit(post, records[0])
        assert gated.started.wait(30)
        queued = []
        for record in records[1:]:  # queued in this order
            queued.append(pool.submit(post, record))
            wait_for(lambda n=len(queued): app.state.predictor.waiting == n, f"{len(queued)} queued requests")
        gated.release.set()
        answers = [first.result(), *(future.result() for future in queued)]
    assert gated.calls == [1, 1, 2]  # the float one alone, then the two others together
    frame["Pclass"] = frame["Pclass"].astype(object)
    frame.loc[1, "Pclass"] = "3"
    want, _ = titanic_model.predict(frame)
    for i, response in enumerate(answers):
        assert response.status_code == 200, response.text
        assert_record_matches(response.json(), want.iloc[i].to_dict())


def test_requests_share_calls_only_when_safe():
    def model_with(date: dict | None = None, model_type: str = "ecd") -> LudwigModel:
        inputs = [{"name": "x", "type": "number"}] + ([date] if date else [])
        return LudwigModel(
            {"model_type": model_type, "input_features": inputs, "output_features": [{"name": "y", "type": "binary"}]}
        )

    assert Predictor(model_with(), None).max_batch_rows > 1
    # a date input guesses its format from the first row of the column: rows of other requests would change it
    assert Predictor(model_with({"name": "d", "type": "date"}), None).max_batch_rows == 1
    with_format = {"name": "d", "type": "date", "preprocessing": {"datetime_format": "%d/%m/%Y"}}
    assert Predictor(model_with(with_format), None).max_batch_rows > 1


def test_objects_loaded_with_the_model_are_left_out_of_garbage_collections(tmp_path, titanic_model):
    """A full collection walks every object alive: about 0.2 s with a model loaded, a pause all requests in flight
    wait for. The server moves what the model load made out of the collector's generations once loaded."""
    titanic_model.save(str(tmp_path / "model"))
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    with ServerThread(serve_v2.server(str(tmp_path / "model"))) as running:
        wait_for(lambda: httpx.get(running.url + "/", timeout=5).json()["model_loaded"], "the model to load")
        # What the collection then costs is measured by benchmarks/serve_load.py, not timed here.
        assert gc.get_freeze_count() > 10_000
    gc.unfreeze()
