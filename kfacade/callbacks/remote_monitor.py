"""``RemoteMonitor``: POSTs each epoch's logs to an HTTP server.

Keras 3 sends with the ``requests`` package; kfacade uses the standard
library's ``urllib.request``, so the callback needs no extra package. The
requests are the same: a form field holding a JSON string, or a JSON body.
"""
import json
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np

from kfacade.callbacks.callback import Callback
from kfacade.callbacks.logs import logs_to_float

#: Seconds to wait for the server; an unanswered POST must not stall training for long.
_TIMEOUT_S = 10.0


def _json_value(value):
    """A value JSON can write: arrays (a metric with several numbers) become lists."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


class RemoteMonitor(Callback):
    """Streams each epoch's logs to a server, as an HTTP POST to ``root + path``.

    The payload is ``{"epoch": epoch, **logs}`` with every log value a Python
    float. With ``send_as_json=False`` (the default) it is sent as a form
    (``application/x-www-form-urlencoded``) whose `field` holds the payload as
    a JSON string; with ``send_as_json=True`` the payload is the JSON body
    (``application/json``). An unreachable server never stops training: the
    callback warns and training goes on. A server that answers with an HTTP
    error status is ignored, as in Keras.

    Args:
        root: the root URL of the target server.
        path: the path, relative to `root`, to which the events are sent.
        field: the form field holding the JSON payload (only used when
            ``send_as_json=False``).
        headers: optional dict of extra HTTP headers.
        send_as_json: whether to send the payload as an ``application/json`` body.

    Example:
        >>> monitor = kfacade.callbacks.RemoteMonitor(root="http://localhost:9000")
        >>> model.fit(x, y, epochs=5, callbacks=[monitor])
    """

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data",
                 headers=None, send_as_json=False):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def _request(self, payload):
        """The ``urllib`` request that POSTs `payload` (a dict) as configured."""
        text = json.dumps(payload)
        if self.send_as_json:
            body = text.encode("utf-8")
            content_type = "application/json"
        else:
            body = urllib.parse.urlencode({self.field: text}).encode("utf-8")
            content_type = "application/x-www-form-urlencoded"
        headers = {"Content-Type": content_type}
        headers.update(self.headers or {})
        return urllib.request.Request(self.root + self.path, data=body, headers=headers,
                                      method="POST")

    def on_epoch_end(self, epoch, logs=None):
        payload = {"epoch": epoch}
        payload.update({key: _json_value(value) for key, value in logs_to_float(logs).items()})
        try:
            with urllib.request.urlopen(self._request(payload), timeout=_TIMEOUT_S) as response:
                response.read()
        except urllib.error.HTTPError:
            pass  # the server answered; Keras does not check the status either
        except (urllib.error.URLError, OSError, ValueError):  # ValueError: a malformed URL
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}",
                          stacklevel=2)
