"""``ludwig serve`` and the JSON API server (``ludwig.serve_v2``): the real servers on a free loopback port, driven
by real HTTP requests; their Prometheus metrics scraped from ``/metrics``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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

from .conftest import make_synthetic_frame  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
INPUTS = ["Pclass", "Sex", "Age", "Fare", "Embarked"]
PREDICTION_COLUMNS = [
    "Survived_predictions",
    "Survived_probabilities_False",
    "Survived_probabilities_True",
    "Survived_probability",
    "Survived_probabilities",
]


def titanic_like(num_rows: int = 240, seed: int = 0) -> pd.DataFrame:
    """Synthetic passengers whose survival depends on sex, class and age."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["male", "female"], size=num_rows)
    pclass = rng.choice(["1", "2", "3"], size=num_rows)
    age = rng.uniform(1, 70, size=num_rows).round(1)
    fare = rng.uniform(5, 100, size=num_rows).round(2)
    embarked = rng.choice(["S", "C", "Q"], size=num_rows)
    score = (sex == "female") * 2.0 - (pclass == "3") * 1.0 - age / 50 + rng.normal(scale=0.3, size=num_rows)
    return pd.DataFrame(
        {"Pclass": pclass, "Sex": sex, "Age": age, "Fare": fare, "Embarked": embarked, "Survived": score > 0}
    )


CONFIG = {
    "input_features": [
        {"name": "Pclass", "type": "category"},
        {"name": "Sex", "type": "category"},
        {"name": "Age", "type": "number"},
        {"name": "Fare", "type": "number"},
        {"name": "Embarked", "type": "category"},
    ],
    "output_features": [{"name": "Survived", "type": "binary"}],
    "trainer": {"epochs": 2, "batch_size": 64},
}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("serve")
    model = LudwigModel(CONFIG)
    model.train(
        dataset=titanic_like(),
        output_directory=str(folder / "results"),
        skip_save_processed_input=True,
        skip_save_log=True,
    )
    model.save(str(folder / "model"))
    return folder / "model"


@pytest.fixture(scope="module")
def model(model_dir) -> LudwigModel:
    return LudwigModel.load(str(model_dir))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerThread:
    """uvicorn serving ``app`` on 127.0.0.1 in a background thread."""

    def __init__(self, app):
        self.app = app
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            assert self.thread.is_alive(), "the server thread died"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()


@pytest.fixture(scope="module")
def base_url(model):
    with ServerThread(server(model, max_payload_bytes=64 * 1024, prediction_timeout=30)) as running:
        yield running.url


@pytest.fixture
def client(base_url):
    with httpx.Client(base_url=base_url, timeout=30) as http:
        yield http


def rows(num_rows: int = 5, seed: int = 1) -> pd.DataFrame:
    return titanic_like(num_rows, seed)[INPUTS]


def form_of(row: pd.Series) -> dict[str, str]:
    return {column: str(row[column]) for column in INPUTS}


def expected_record(model: LudwigModel, frame: pd.DataFrame) -> dict:
    predictions, _ = model.predict(frame)
    return predictions.iloc[0].to_dict()


def assert_record_matches(got: dict, want: dict) -> None:
    assert list(got) == PREDICTION_COLUMNS
    assert got["Survived_predictions"] == bool(want["Survived_predictions"])
    for column in PREDICTION_COLUMNS[1:4]:
        assert got[column] == pytest.approx(float(want[column]), abs=1e-6), column
    assert got["Survived_probabilities"] == pytest.approx(list(want["Survived_probabilities"]), abs=1e-6)


def test_health(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.json() == {"message": "Ludwig server is up"}


def test_predict_form_matches_model_predict(client, model):
    frame = rows(3)
    for i in range(len(frame)):
        response = client.post("/predict", data=form_of(frame.iloc[i]))
        assert response.status_code == 200, response.text
        assert_record_matches(response.json(), expected_record(model, frame.iloc[[i]].reset_index(drop=True)))


def test_predict_multipart_and_json_bodies(client, model):
    frame = rows(1, seed=2)
    want = expected_record(model, frame)
    multipart = client.post("/predict", files={c: (None, v) for c, v in form_of(frame.iloc[0]).items()})
    assert multipart.status_code == 200, multipart.text
    assert_record_matches(multipart.json(), want)
    record = frame.iloc[0].to_dict()
    record = {k: (float(v) if isinstance(v, (np.floating, float)) else v) for k, v in record.items()}
    as_json = client.post("/predict", json=record)
    assert as_json.status_code == 200, as_json.text
    assert_record_matches(as_json.json(), want)


def test_batch_predict_matches_model_predict(client, model):
    frame = rows(6, seed=3)
    frame.index = [10, 11, 12, 13, 14, 15]
    dataset = json.loads(frame.to_json(orient="split"))
    response = client.post("/batch_predict", data={"dataset": json.dumps(dataset)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["columns"] == PREDICTION_COLUMNS
    assert body["index"] == [10, 11, 12, 13, 14, 15]
    want, _ = model.predict(frame)
    got = pd.DataFrame(body["data"], columns=body["columns"])
    assert got["Survived_predictions"].tolist() == want["Survived_predictions"].astype(bool).tolist()
    np.testing.assert_allclose(got["Survived_probability"], want["Survived_probability"], atol=1e-6)
    # the JSON body variant answers the same, with a default index
    del dataset["index"]
    as_json = client.post("/batch_predict", json=dataset)
    assert as_json.status_code == 200, as_json.text
    assert as_json.json()["index"] == list(range(6))
    assert as_json.json()["data"] == body["data"]


def test_unseen_category_predicts(client, model):
    frame = rows(1, seed=4)
    frame.loc[0, "Embarked"] = "Atlantis"
    response = client.post("/predict", data=form_of(frame.iloc[0]))
    assert response.status_code == 200, response.text
    assert_record_matches(response.json(), expected_record(model, frame))
    frame.loc[0, "Embarked"] = "<UNK>"  # an unseen category is read as the unknown symbol
    assert_record_matches(response.json(), expected_record(model, frame))


def test_empty_number_is_a_missing_value(client, model):
    frame = rows(1, seed=5)
    form = form_of(frame.iloc[0]) | {"Age": ""}
    response = client.post("/predict", data=form)
    assert response.status_code == 200, response.text
    frame["Age"] = np.nan
    assert_record_matches(response.json(), expected_record(model, frame))


def test_missing_feature_is_400_naming_it(client):
    form = form_of(rows(1).iloc[0])
    del form["Fare"]
    response = client.post("/predict", data=form)
    assert response.status_code == 400
    assert "Missing features" in response.json()["error"] and "Fare" in response.json()["error"]


@pytest.mark.parametrize("value", ["abc", "inf", "true"])
def test_wrong_type_is_422_naming_the_field(client, value):
    form = form_of(rows(1).iloc[0]) | {"Age": value}
    response = client.post("/predict", data=form)
    assert response.status_code == 422, response.text
    assert "'Age'" in response.json()["error"] and value in response.json()["error"]


def test_wrong_type_in_json_and_batch(client):
    record = form_of(rows(1).iloc[0]) | {"Sex": {"nested": 1}}
    response = client.post("/predict", json=record)
    assert response.status_code == 422 and "'Sex'" in response.json()["error"]
    frame = rows(3)
    dataset = json.loads(frame.to_json(orient="split"))
    dataset["data"][2][INPUTS.index("Fare")] = "cheap"
    response = client.post("/batch_predict", data={"dataset": json.dumps(dataset)})
    assert response.status_code == 422
    assert "'Fare'" in response.json()["error"] and "row 2" in response.json()["error"]


def test_empty_body_is_400(client):
    response = client.post("/predict", content=b"", headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400 and "empty" in response.json()["error"]
    response = client.post("/batch_predict")
    assert response.status_code == 400 and "empty" in response.json()["error"]


def test_malformed_json_is_400(client):
    response = client.post("/predict", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]
    response = client.post("/batch_predict", data={"dataset": "[1, 2"})
    assert response.status_code == 400 and "'dataset'" in response.json()["error"]
    response = client.post("/predict", json=[1, 2])
    assert response.status_code == 400 and "JSON object" in response.json()["error"]


@pytest.mark.parametrize(
    "dataset, message",
    [
        ({"columns": INPUTS}, "dataset.data"),
        ({"columns": INPUTS, "data": [["1", "male"]]}, "Row 0"),
        ({"columns": "Pclass", "data": [[1]]}, "dataset.columns"),
        ({"columns": INPUTS, "data": [["1", "male", 3, 4, "S"]], "index": [1, 2]}, "dataset.index"),
        ({"columns": ["Pclass"], "data": [["1"]]}, "Missing features"),
    ],
)
def test_bad_batch_dataset_is_400(client, dataset, message):
    response = client.post("/batch_predict", data={"dataset": json.dumps(dataset)})
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]


def test_missing_dataset_field_and_unsupported_content(client):
    response = client.post("/batch_predict", data={"other": "x"})
    assert response.status_code == 400 and "'dataset'" in response.json()["error"]
    response = client.post("/predict", content=b"Age=3", headers={"content-type": "text/plain"})
    assert response.status_code == 415
    response = client.post("/predict", files={"Age": ("age.txt", b"3")})
    assert response.status_code == 400 and "'Age'" in response.json()["error"]


def test_oversized_payload_is_413(client):
    form = form_of(rows(1).iloc[0]) | {"padding": "x" * (100 * 1024)}
    response = client.post("/predict", data=form)
    assert response.status_code == 413
    assert "limit" in response.json()["error"]

    def chunks():  # no content-length: the limit holds while streaming
        for _ in range(100):
            yield b"x" * 1024

    response = client.post("/predict", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_unknown_route_answers_json_404(client):
    response = client.get("/nowhere")
    assert response.status_code == 404 and "error" in response.json()


def test_concurrent_requests_are_all_correct(client, base_url, model):
    frame = rows(20, seed=6)
    want, _ = model.predict(frame)

    def call(i: int) -> tuple[int, dict]:
        with httpx.Client(base_url=base_url, timeout=30) as http:
            response = http.post("/predict", data=form_of(frame.iloc[i]))
            return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(call, range(len(frame))))
    for i, (status, body) in enumerate(results):
        assert status == 200, body
        assert body["Survived_probability"] == pytest.approx(float(want["Survived_probability"].iloc[i]), abs=1e-6)


def test_openapi_lists_input_features(client):
    schema = client.get("/openapi.json").json()
    body = schema["paths"]["/predict"]["post"]["requestBody"]["content"]
    properties = body["multipart/form-data"]["schema"]["properties"]
    assert set(properties) == set(INPUTS)
    assert properties["Age"]["type"] == "number" and properties["Sex"]["type"] == "string"
    assert "/batch_predict" in schema["paths"]
    assert client.get("/docs").status_code == 200


def test_cors_headers_only_when_allowed(model):
    with ServerThread(server(model, allowed_origins=["http://example.test"])) as running:
        response = httpx.get(running.url + "/", headers={"Origin": "http://example.test"})
        assert response.headers.get("access-control-allow-origin") == "http://example.test"
    with ServerThread(server(model)) as running:
        response = httpx.get(running.url + "/", headers={"Origin": "http://example.test"})
        assert "access-control-allow-origin" not in response.headers


def test_slow_prediction_is_504(model):
    class SlowModel:
        config_obj = model.config_obj

        def predict(self, frame):
            time.sleep(1.0)
            return model.predict(frame)

    with ServerThread(server(SlowModel(), prediction_timeout=0.2)) as running:
        response = httpx.post(running.url + "/predict", data=form_of(rows(1).iloc[0]), timeout=10)
        assert response.status_code == 504
        assert response.json() == {"error": "Prediction timed out after 0.2s"}
        if running.app.state.metrics is not None:
            assert scrape(running.url)[requests_sample("/predict", "POST", 504)] == 1


def test_server_fault_is_clean_500(model):
    class BrokenModel:
        config_obj = model.config_obj

        def predict(self, frame):
            raise RuntimeError("internal detail")

    with ServerThread(server(BrokenModel())) as running:
        response = httpx.post(running.url + "/predict", data=form_of(rows(1).iloc[0]), timeout=10)
        assert response.status_code == 500
        assert response.json() == {"error": "Unexpected Error: could not run inference on model"}
        assert "Traceback" not in response.text and "internal detail" not in response.text
        if running.app.state.metrics is not None:  # an exception escaping the route is counted as the 500 it is
            assert scrape(running.url)[requests_sample("/predict", "POST", 500)] == 1


MIXED_CONFIG = {
    "input_features": [
        {"name": "num_in", "type": "number"},
        {"name": "cat_in", "type": "category"},
        {"name": "bin_in", "type": "binary"},
        {"name": "vec_in", "type": "vector"},
    ],
    "output_features": [{"name": "cat_out", "type": "category"}, {"name": "num_out", "type": "number"}],
    "trainer": {"epochs": 1, "batch_size": 64},
}


def test_binary_and_vector_inputs_and_two_outputs(tmp_path):
    model = LudwigModel(MIXED_CONFIG)
    model.train(
        dataset=make_synthetic_frame(150),
        output_directory=str(tmp_path / "results"),
        skip_save_processed_input=True,
        skip_save_model=True,
        skip_save_log=True,
    )
    form = {"num_in": "0.5", "cat_in": "b", "bin_in": "false", "vec_in": "0.1 -0.2 0.3"}
    frame = pd.DataFrame({"num_in": [0.5], "cat_in": ["b"], "bin_in": ["false"], "vec_in": ["0.1 -0.2 0.3"]})
    want = expected_record(model, frame)
    with ServerThread(server(model)) as running, httpx.Client(base_url=running.url, timeout=30) as http:
        response = http.post("/predict", data=form)
        assert response.status_code == 200, response.text
        got = response.json()
        assert got["cat_out_predictions"] == want["cat_out_predictions"]
        assert got["num_out_predictions"] == pytest.approx(float(want["num_out_predictions"]), abs=1e-5)
        labels = [column for column in got if column.startswith("cat_out_probabilities_")]
        assert len(labels) == 3
        for column in labels:
            assert got[column] == pytest.approx(float(want[column]), abs=1e-6)
        # values preprocessing cannot read answer 422 naming the column
        response = http.post("/predict", data=form | {"bin_in": "maybe"})
        assert response.status_code == 422 and "bin_in" in response.json()["error"]
        response = http.post("/predict", data=form | {"vec_in": "0.1 0.2"})
        assert response.status_code == 422 and "vec_in" in response.json()["error"]
        response = http.post("/predict", json=form | {"vec_in": [0.1, -0.2, 0.3]})
        assert response.status_code == 200, response.text
        assert response.json()["cat_out_predictions"] == want["cat_out_predictions"]


def python_m(*args: str) -> list[str]:
    return [sys.executable, "-m", *args]


def serve_until_sigint(command: list[str], is_ready: Callable[[str], bool], request: Callable[[str], None]) -> None:
    """Start ``command`` (a server on a free loopback port, given as ``{port}``), wait until ``is_ready(url)``,
    run ``request(url)``, then stop it with SIGINT: it must exit 0, print its address, and print no traceback."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    command = [part.format(port=port) for part in command]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()
            try:
                if is_ready(url):
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"{command[2:4]} did not start"
            time.sleep(0.1)
        request(url)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert f"http://127.0.0.1:{port}" in stdout and "Ludwig server stopped" in stdout
    assert "Traceback" not in stderr


def test_ludwig_serve_cli_serves_and_stops_on_sigint(model_dir, model):
    def request(url: str) -> None:
        frame = rows(1, seed=7)
        response = httpx.post(url + "/predict", data=form_of(frame.iloc[0]), timeout=30)
        assert response.status_code == 200, response.text
        assert_record_matches(response.json(), expected_record(model, frame))

    serve_until_sigint(
        python_m("ludwig", "serve", "-m", str(model_dir), "-H", "127.0.0.1", "-p", "{port}"),
        lambda url: httpx.get(url + "/", timeout=1).status_code == 200,
        request,
    )


def test_ludwig_serve_cli_reports_a_bad_model_path_or_a_taken_port(tmp_path, model_dir):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    serve = [sys.executable, "-m", "ludwig", "serve", "-H", "127.0.0.1"]
    result = subprocess.run(
        [*serve, "-m", str(tmp_path / "nowhere")], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 1
    assert "not a Ludwig model folder" in result.stderr and "Traceback" not in result.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*serve, "-m", str(model_dir), "-p", str(port)], capture_output=True, text=True, env=env, timeout=120
        )
    assert result.returncode != 0
    assert "address already in use" in result.stderr and "Traceback" not in result.stderr
    assert "serving" not in result.stdout


def test_text_input_model_is_served(tmp_path):
    """A text input goes through the same path: the served prediction equals model.predict."""
    reviews = ["good fine great", "bad poor awful", "great good", "awful bad", "fine good", "poor bad"] * 10
    frame = pd.DataFrame({"review": reviews, "positive": [i % 2 == 0 for i in range(len(reviews))]})
    config = {
        "input_features": [{"name": "review", "type": "text", "encoder": {"type": "embed", "embedding_size": 8}}],
        "output_features": [{"name": "positive", "type": "binary"}],
        "trainer": {"epochs": 2, "batch_size": 8},
    }
    text_model = LudwigModel(config, logging_level=40)
    text_model.train(dataset=frame, output_directory=str(tmp_path), skip_save_processed_input=True)
    record = pd.DataFrame({"review": ["good great film", "never seen words"]})
    with ServerThread(server(text_model)) as running, httpx.Client(base_url=running.url, timeout=30) as client:
        for i in range(len(record)):
            response = client.post("/predict", data={"review": record["review"][i]})
            assert response.status_code == 200, response.text
            got, want = response.json(), expected_record(text_model, record.iloc[[i]])
            assert set(got) == set(want)
            assert got["positive_predictions"] == bool(want["positive_predictions"])
            assert got["positive_probability"] == pytest.approx(float(want["positive_probability"]), abs=1e-6)


# ---------------------------------------------------------------------------------------------------------
# Prometheus metrics


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """``GET /metrics`` parsed: value by (sample name, sorted labels)."""
    from prometheus_client.parser import text_string_to_metric_families

    response = httpx.get(url + "/metrics", timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def requests_sample(endpoint: str, method: str, status: int) -> tuple[str, tuple[tuple[str, str], ...]]:
    labels = {"endpoint": endpoint, "method": method, "status_code": str(status)}
    return "ludwig_serve_requests_total", tuple(sorted(labels.items()))


def test_metrics_count_requests_latencies_and_rows(model):
    pytest.importorskip("prometheus_client")
    frame = rows(5, seed=8)
    dataset = json.loads(frame.to_json(orient="split"))
    other = server(model)  # a second app in the same process keeps its own counts
    with ServerThread(server(model)) as running, httpx.Client(base_url=running.url, timeout=30) as http:
        for i in range(3):
            assert http.post("/predict", data=form_of(frame.iloc[i])).status_code == 200
        assert http.post("/batch_predict", json=dataset).status_code == 200
        without_fare = {k: v for k, v in form_of(frame.iloc[0]).items() if k != "Fare"}
        assert http.post("/predict", data=without_fare).status_code == 400
        for value in ("abc", "inf"):
            assert http.post("/predict", data=form_of(frame.iloc[0]) | {"Age": value}).status_code == 422
        assert http.get("/predict").status_code == 405
        assert http.get("/nowhere/42").status_code == 404
        assert http.get("/").status_code == 200
        samples = scrape(running.url)
    assert samples[requests_sample("/predict", "POST", 200)] == 3
    assert samples[requests_sample("/predict", "POST", 400)] == 1
    assert samples[requests_sample("/predict", "POST", 422)] == 2
    assert samples[requests_sample("/predict", "GET", 405)] == 1
    assert samples[requests_sample("/batch_predict", "POST", 200)] == 1
    assert samples[requests_sample("<unmatched>", "GET", 404)] == 1  # not one label per unknown path
    assert samples[requests_sample("/", "GET", 200)] == 1
    requests = {labels: value for (name, labels), value in samples.items() if name == "ludwig_serve_requests_total"}
    assert sum(requests.values()) == 10  # the scrape itself is counted after it answers
    by_endpoint = (("endpoint", "/predict"),)
    assert samples[("ludwig_serve_request_latency_seconds_count", by_endpoint)] == 7
    assert samples[("ludwig_serve_request_latency_seconds_bucket", (("endpoint", "/predict"), ("le", "+Inf")))] == 7
    assert samples[("ludwig_serve_request_latency_seconds_sum", by_endpoint)] > 0
    # only the requests that reached the model: 3 records and one batch of 5 rows
    assert samples[("ludwig_serve_prediction_latency_seconds_count", ())] == 4
    assert samples[("ludwig_serve_predicted_rows_total", ())] == 8
    with ServerThread(other) as untouched:
        idle = scrape(untouched.url)
    assert requests_sample("/predict", "POST", 200) not in idle
    assert idle[("ludwig_serve_predicted_rows_total", ())] == 0


def test_without_prometheus_client_there_is_no_metrics_endpoint(model, monkeypatch):
    monkeypatch.setitem(sys.modules, "prometheus_client", None)  # makes `import prometheus_client` fail
    app = server(model)
    assert app.state.metrics is None
    with ServerThread(app) as running, httpx.Client(base_url=running.url, timeout=30) as http:
        response = http.get("/metrics")
        assert response.status_code == 404 and "error" in response.json()
        frame = rows(1, seed=9)
        response = http.post("/predict", data=form_of(frame.iloc[0]))
        assert response.status_code == 200, response.text
        assert_record_matches(response.json(), expected_record(model, frame))


# ---------------------------------------------------------------------------------------------------------
# The JSON API server (ludwig.serve_v2)


@pytest.fixture(scope="module")
def v2_url(model):
    with ServerThread(serve_v2.server(model, max_payload_bytes=64 * 1024)) as running:
        yield running.url


@pytest.fixture
def v2(v2_url):
    with httpx.Client(base_url=v2_url, timeout=30) as http:
        yield http


def json_record(row: pd.Series) -> dict:
    return {k: (float(v) if isinstance(v, (np.floating, float)) else v) for k, v in row.to_dict().items()}


def test_v2_health_and_info(v2):
    assert v2.get("/").json() == {"message": "Ludwig server is up", "model_loaded": True}
    info = v2.get("/info").json()
    assert [(f["name"], f["type"]) for f in info["input_features"]] == [
        ("Pclass", "category"),
        ("Sex", "category"),
        ("Age", "number"),
        ("Fare", "number"),
        ("Embarked", "category"),
    ]
    assert info["output_features"] == [{"name": "Survived", "column": "Survived", "type": "binary"}]


def test_v2_predict_json_record_matches_model_predict(v2, model):
    frame = rows(3, seed=10)
    frame.loc[1, "Age"] = np.nan
    for i in range(len(frame)):
        record = json_record(frame.iloc[i])
        if i == 1:
            record["Age"] = None  # a JSON null is a missing value
        response = v2.post("/predict", json=record)
        assert response.status_code == 200, response.text
        assert_record_matches(response.json(), expected_record(model, frame.iloc[[i]].reset_index(drop=True)))


def test_v2_batch_predict_split_and_records_keep_the_order(v2, model):
    frame = rows(6, seed=11)
    frame.index = [7, 3, 9, 1, 5, 0]
    want, _ = model.predict(frame)
    split = v2.post("/batch_predict", json=json.loads(frame.to_json(orient="split")))
    assert split.status_code == 200, split.text
    assert split.json()["index"] == [7, 3, 9, 1, 5, 0] and split.json()["columns"] == PREDICTION_COLUMNS
    got = pd.DataFrame(split.json()["data"], columns=PREDICTION_COLUMNS)
    np.testing.assert_allclose(got["Survived_probability"], want["Survived_probability"], atol=1e-6)
    records = v2.post("/batch_predict", json=[json_record(frame.iloc[i]) for i in range(len(frame))])
    assert records.status_code == 200, records.text
    assert isinstance(records.json(), list) and len(records.json()) == 6
    for got_record, (_, want_record) in zip(records.json(), want.iterrows()):
        assert_record_matches(got_record, want_record.to_dict())


def test_v2_bad_requests_name_the_problem(v2):
    record = json_record(rows(1).iloc[0])
    response = v2.post("/predict", data={k: str(v) for k, v in record.items()})
    assert response.status_code == 415 and "application/json" in response.json()["error"]
    response = v2.post("/predict", json=[record])
    assert response.status_code == 400 and "JSON object" in response.json()["error"]
    response = v2.post("/predict", json=record | {"Age": "old"})
    assert response.status_code == 422 and "'Age'" in response.json()["error"]
    missing = {k: v for k, v in record.items() if k != "Sex"}
    response = v2.post("/batch_predict", json=[record, record, missing])
    assert response.status_code == 400
    assert "Missing features: ['Sex'] in record 2" in response.json()["error"]
    response = v2.post("/batch_predict", json=[record, record | {"Fare": "cheap"}])
    assert response.status_code == 422 and "'Fare' in record 1" in response.json()["error"]
    response = v2.post("/batch_predict", json=[record, 3])
    assert response.status_code == 400 and "Record 1" in response.json()["error"]
    assert v2.post("/batch_predict", json=[]).status_code == 400
    assert v2.post("/batch_predict", json="rows").status_code == 400
    response = v2.post("/batch_predict", json={"columns": INPUTS, "data": []})
    assert response.status_code == 400 and "dataset.data" in response.json()["error"]
    response = v2.post("/predict", content=b"{oops", headers={"content-type": "application/json"})
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]
    response = v2.post("/predict", json=record | {"padding": "x" * (100 * 1024)})
    assert response.status_code == 413


def test_v2_answers_503_until_the_model_is_loaded(model_dir, model, monkeypatch):
    release = threading.Event()
    real_load = LudwigModel.load

    def slow_load(*args, **kwargs):
        assert release.wait(30)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(LudwigModel, "load", staticmethod(slow_load))
    app = serve_v2.server(str(model_dir))
    with ServerThread(app) as running, httpx.Client(base_url=running.url, timeout=30) as http:
        assert http.get("/").json() == {"message": "Ludwig server is up", "model_loaded": False}
        record = json_record(rows(1, seed=12).iloc[0])
        for response in (http.get("/info"), http.post("/predict", json=record), http.post("/batch_predict", json=[])):
            assert response.status_code == 503
            assert "still loading" in response.json()["error"] and str(model_dir) in response.json()["error"]
        release.set()
        deadline = time.monotonic() + 30
        while not http.get("/").json()["model_loaded"]:
            assert time.monotonic() < deadline, "the model did not load"
            time.sleep(0.05)
        response = http.post("/predict", json=record)
        assert response.status_code == 200, response.text
        assert_record_matches(response.json(), expected_record(model, rows(1, seed=12)))
        if app.state.metrics is not None:
            assert scrape(running.url)[requests_sample("/info", "GET", 503)] == 1


def test_v2_model_that_fails_to_load_answers_503_with_the_reason(tmp_path):
    with ServerThread(serve_v2.server(str(tmp_path / "nowhere"))) as running:
        deadline = time.monotonic() + 30
        while "still loading" in (error := httpx.get(running.url + "/info").json()["error"]):
            assert time.monotonic() < deadline, "the loader did not finish"
            time.sleep(0.05)
        assert "could not be loaded" in error and "not a Ludwig model folder" in error
        assert httpx.post(running.url + "/predict", json={"Age": 3}).status_code == 503


def test_serve_v2_module_cli_serves_and_stops_on_sigint(model_dir, model, tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    bad = subprocess.run(
        python_m("ludwig.serve_v2", "-m", str(tmp_path)), capture_output=True, text=True, env=env, timeout=60
    )
    assert bad.returncode == 1 and "not a Ludwig model folder" in bad.stderr and "Traceback" not in bad.stderr

    def request(url: str) -> None:
        frame = rows(1, seed=13)
        response = httpx.post(url + "/predict", json=json_record(frame.iloc[0]), timeout=30)
        assert response.status_code == 200, response.text
        assert_record_matches(response.json(), expected_record(model, frame))

    serve_until_sigint(
        python_m("ludwig.serve_v2", "-m", str(model_dir), "-H", "127.0.0.1", "-p", "{port}"),
        lambda url: httpx.get(url + "/", timeout=1).json().get("model_loaded"),
        request,
    )
