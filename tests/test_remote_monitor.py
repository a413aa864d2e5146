"""``RemoteMonitor``: the POSTs it sends, read by a local ``http.server`` in a thread.

Expected payloads follow Keras's documented rule: ``{"epoch": epoch, **logs}``
with Python floats, as a form field holding JSON or as a JSON body.
"""
import json
import socket
import threading
import urllib.parse
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

import kfacade
from kfacade import ops
from kfacade.callbacks import RemoteMonitor


class _Recorder(BaseHTTPRequestHandler):
    """Records each POST as (path, headers, body); answers 500 on "/fail", else 200."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.requests.append((self.path, dict(self.headers), body))
        self.send_response(500 if self.path.startswith("/fail") else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):  # keep pytest's output quiet
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    httpd.requests = []
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


def _root(httpd):
    return f"http://127.0.0.1:{httpd.server_address[1]}"


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_form_encoding_holds_json_under_field(server):
    monitor = RemoteMonitor(root=_root(server), field="payload")
    logs = {"loss": ops.convert_to_tensor(0.25), "accuracy": np.float32(0.5), "count": 3}
    monitor.on_epoch_end(4, logs)
    (path, headers, body), = server.requests
    assert path == "/publish/epoch/end/"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = urllib.parse.parse_qs(body.decode("utf-8"))
    assert list(form) == ["payload"]
    payload = json.loads(form["payload"][0])
    assert payload == {"epoch": 4, "loss": 0.25, "accuracy": 0.5, "count": 3.0}
    assert all(isinstance(payload[key], float) for key in ("loss", "accuracy", "count"))


def test_json_body_and_custom_headers(server):
    monitor = RemoteMonitor(root=_root(server), path="/events", field="ignored",
                            headers={"X-Token": "abc"}, send_as_json=True)
    monitor.on_epoch_end(0, {"loss": ops.convert_to_tensor(1.5)})
    (path, headers, body), = server.requests
    assert path == "/events"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Token"] == "abc"
    assert json.loads(body) == {"epoch": 0, "loss": 1.5}


def test_unreachable_server_warns_and_error_status_is_ignored(server):
    monitor = RemoteMonitor(root=f"http://127.0.0.1:{_closed_port()}")
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor root server at http://"):
        monitor.on_epoch_end(0, {"loss": 1.0})
    # A server that answers, even with an error status, was reached: no warning (as Keras).
    failing = RemoteMonitor(root=_root(server), path="/fail")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        failing.on_epoch_end(0, {"loss": 1.0})
    assert len(server.requests) == 1


def test_fit_posts_every_epoch(server):
    model = kfacade.Sequential([kfacade.Input((2,)), kfacade.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((4, 2), "float32")
    y = np.zeros((4, 1), "float32")
    model.fit(x, y, epochs=2, batch_size=4, verbose=0,
              callbacks=[RemoteMonitor(root=_root(server), send_as_json=True)])
    payloads = [json.loads(body) for _, _, body in server.requests]
    assert [p["epoch"] for p in payloads] == [0, 1]
    assert all(isinstance(p["loss"], float) and p["loss"] >= 0 for p in payloads)
