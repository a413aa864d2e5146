"""Symbolic calls' output specs (``compute_output_spec``) through the adapter's
optional ``eval_shape`` hook (JAX: an abstract trace instead of eager runs on
zero tensors, each op of which compiles per shape), and the fall-back to the
zero tensors for calls an abstract run refuses."""
import numpy as np
import pytest

import kfacade as keras
from kfacade import layers, ops
from kfacade.backend import adapter as B
from kfacade.backend.state import AbstractRunRefused
from kfacade.engine import operation
from kfacade.variables import Variable
from helpers import requires_adapter_hook

needs_hook = requires_adapter_hook("eval_shape")


@pytest.fixture
def hook_runs(monkeypatch):
    """A list of each ``eval_shape`` call's exception (None when it answered);
    None where the adapter has no such hook (calls then run on zero tensors)."""
    runs = []
    original = getattr(B, "eval_shape", None)
    if original is None:
        return None

    def spy(fn, specs):
        try:
            result = original(fn, specs)
        except Exception as error:
            runs.append(error)
            raise
        runs.append(None)
        return result

    monkeypatch.setattr(B, "eval_shape", spy)
    return runs


def _specs(outputs):
    return [None if t is None else (t.shape, t.dtype) for t in keras.tree.flatten(outputs)]


def _cases():
    """(name, fn, args, kwargs) of symbolic calls with unknown and known dims."""
    seq = keras.KerasTensor((None, 6, 8))
    image = keras.KerasTensor((None, 9, 9, 2))
    tokens = keras.KerasTensor((None, 5), dtype="int32")
    flat = keras.KerasTensor((None, 7))
    attention = layers.MultiHeadAttention(num_heads=2, key_dim=4)
    return [
        ("Dense", layers.Dense(5, activation="relu"), (flat,), {}),
        ("Conv2D", layers.Conv2D(3, 3, strides=2, padding="same"), (image,), {}),
        ("LSTM unknown time", layers.LSTM(4, return_sequences=True, return_state=True),
         (keras.KerasTensor((None, None, 3)),), {}),
        ("MultiHeadAttention", attention, (seq, seq), {"return_attention_scores": True}),
        ("Embedding", layers.Embedding(10, 4, mask_zero=True), (tokens,), {}),
        ("Dropout training", layers.Dropout(0.5), (flat,), {"training": True}),
        ("BatchNormalization", layers.BatchNormalization(), (image,), {"training": True}),
        ("argmax", lambda x: ops.argmax(x, axis=-1), (seq,), {}),
        ("reshape", lambda x: ops.reshape(x, (-1, 48)), (seq,), {}),
        ("concatenate", lambda a, b: ops.concatenate([a, b], axis=1), (flat, flat), {}),
        ("bfloat16 cast", lambda x: ops.cast(x, "bfloat16"), (flat,), {}),
    ]


@needs_hook
@pytest.mark.parametrize("case", range(len(_cases())), ids=[c[0] for c in _cases()])
def test_the_abstract_run_gives_the_zero_tensors_specs(monkeypatch, hook_runs, case):
    name, fn, args, kwargs = _cases()[case]
    if isinstance(fn, layers.Layer):
        fn(*args, **kwargs)  # built, as a symbolic call builds it before inferring

        def call(*a, **k):
            return fn._call_with_context(a, dict(k))
    else:
        call = fn
    abstract = operation.run_on_dummies(call, args, kwargs)
    assert hook_runs and all(error is None for error in hook_runs), hook_runs
    monkeypatch.delattr(B, "eval_shape")
    on_zeros = operation.run_on_dummies(call, args, kwargs)
    assert _specs(abstract) == _specs(on_zeros), name
    assert keras.tree.flatten(abstract)[0].shape[0] is None  # the unknown batch stays unknown


class LazyDense(layers.Layer):
    """Makes its weight on the first call, not in build (Keras allows it)."""

    def call(self, x):
        if not hasattr(self, "w"):
            self.w = Variable(np.ones((4, 3), "float32"))
        return ops.matmul(x, self.w.value)


class Penalized(layers.Layer):
    def call(self, x):
        self.add_loss(ops.sum(x * x))
        return x * 2.0


class HostReading(layers.Layer):
    """Reads a value on the host, which a trace cannot."""

    def call(self, x):
        scale = float(ops.convert_to_numpy(ops.sum(x))) + 1.0
        return x * scale


@pytest.mark.parametrize("layer_class", [LazyDense, Penalized, HostReading])
def test_a_call_the_abstract_run_refuses_runs_on_zero_tensors(hook_runs, layer_class):
    inputs = keras.Input((4,))
    outputs = layer_class()(inputs)
    assert outputs.shape == ((None, 3) if layer_class is LazyDense else (None, 4))
    if hook_runs is not None:
        assert hook_runs and hook_runs[0] is not None  # refused, then the zeros answered
    model = keras.Model(inputs, outputs)
    for loss in model.losses:  # the zero tensors' loss, a concrete value
        assert float(ops.convert_to_numpy(loss)) == 0.0
    x = np.arange(8, dtype="float32").reshape(2, 4) / 8
    expected = {LazyDense: x @ np.ones((4, 3)), Penalized: x * 2,
                HostReading: x * (x.sum() + 1)}[layer_class]
    # Called eagerly: HostReading's read has no value to read in a compiled predict.
    np.testing.assert_allclose(ops.convert_to_numpy(model(x)), expected, rtol=1e-6)
    for variable in model.weights:  # concrete values, no trace's leftovers
        assert np.all(np.isfinite(ops.convert_to_numpy(variable.value)))


def test_a_refused_variable_takes_no_name(hook_runs):
    """The refusal comes before the Variable numbers itself, so automatic
    names are those of a build without the abstract attempt."""
    before = Variable(0.0).name
    LazyDense()(keras.Input((4,)))
    if hook_runs is not None:
        assert isinstance(hook_runs[0], AbstractRunRefused)
    after = Variable(0.0).name
    number = int(before.rsplit("_", 1)[1])
    assert after == f"variable_{number + 2}"  # the layer's own weight took number + 1
