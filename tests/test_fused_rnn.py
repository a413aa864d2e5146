"""The optional fused ``lstm`` / ``gru`` adapter hooks against the generic scan.

On an adapter with the hooks (torch's lstm and gru, TensorFlow's lstm), each
LSTM / GRU configuration runs
twice on the same weights and inputs: through the hook, then with the hook
removed (the scan); outputs, final states and the gradients of every
weight (and of the initial states) must agree to 1e-5, and a spy on
``RNN._scan`` proves which path ran. Cases the hook must decline (other
activations, ``reset_after=False``, masks that are not right-padded) must
fall back to the scan. On an adapter without the hooks both runs would be
the scan, so those comparisons are skipped there (``requires_adapter_hook``);
``use_cudnn`` and fit still run everywhere.
"""
import numpy as np
import pytest

from kfacade import ops
from kfacade.backend import adapter as B
from kfacade.layers.rnn import GRU, LSTM, RNN

try:
    from tests.helpers import requires_adapter_hook
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import requires_adapter_hook

BATCH, TIMESTEPS, FEATURES, UNITS = 4, 7, 5, 6
#: Fused kernel against the generic scan. On CPU both sum the same products
#: in float32 (1e-5); cuDNN's fused kernels (on a GPU) order their gate sums
#: differently, measured up to 8e-5 absolute on these sizes on an H200.
TOLERANCE = 2e-4 if any(d.startswith("gpu") for d in B.list_devices()) else 1e-5
#: Whether the hooks fuse a masked sequence: torch packs right-padded ones;
#: TensorFlow's lstm hook declines any mask (the scan runs).
FUSES_MASKS = B.name == "torch"


def to_numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


@pytest.fixture
def scan_calls(monkeypatch):
    """A list that gets one entry per call of ``RNN._scan``."""
    calls = []
    original = RNN._scan

    def spy(self, *args, **kwargs):
        calls.append(self.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(RNN, "_scan", spy)
    return calls


def make_layer(cls, rng, **kwargs):
    layer = cls(UNITS, **kwargs)
    layer.build((BATCH, TIMESTEPS, FEATURES))
    # Weights large enough that the gates saturate differently per unit.
    layer.set_weights([rng.uniform(-0.8, 0.8, w.shape).astype("float32") for w in layer.get_weights()])
    return layer


def run(layer, x, initial_state=None, mask=None):
    """Outputs and the gradients of a loss over every output w.r.t. the weights
    (and the initial states), as NumPy arrays."""
    native_x = B.convert_to_tensor(x)
    states = None if initial_state is None else [B.convert_to_tensor(s) for s in initial_state]
    native_mask = None if mask is None else B.convert_to_tensor(mask)
    variables = list(layer.trainable_weights)

    def loss():
        outputs = layer(native_x, initial_state=states, mask=native_mask)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        total = 0.0
        for k, output in enumerate(outputs):  # distinct weights so that each output counts
            total = ops.add(total, ops.sum(ops.multiply(ops.tanh(output), float(k + 1))))
        return total, outputs

    (value, outputs), grads = B.value_and_grad(loss, variables)
    result = {"loss": to_numpy(value)}
    result.update({f"output_{k}": to_numpy(o) for k, o in enumerate(outputs)})
    result.update({variable.path: to_numpy(g) for variable, g in zip(variables, grads)})
    if states is not None and B.name == "torch":  # gradients w.r.t. the initial states too
        import torch

        states = [s.clone().requires_grad_(True) for s in states]
        outputs = layer(native_x, initial_state=states, mask=native_mask)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        total = sum(torch.tanh(o).sum() * (k + 1) for k, o in enumerate(outputs))
        for k, grad in enumerate(torch.autograd.grad(total, states)):
            result[f"state_grad_{k}"] = to_numpy(grad)
    return result


#: Each layer class, run only where the adapter has its hook: a comparison of
#: hook and scan is the scan against itself without it.
HOOKED = [pytest.param(LSTM, marks=requires_adapter_hook("lstm"), id="LSTM"),
          pytest.param(GRU, marks=requires_adapter_hook("gru"), id="GRU")]


def compare_with_scan(monkeypatch, scan_calls, cls, rng, expect_fused, layer_kwargs, **call_kwargs):
    """Runs the layer with the adapter's hook, then with the scan, and compares."""
    hook_name = "lstm" if cls is LSTM else "gru"
    layer = make_layer(cls, rng, **layer_kwargs)
    x = rng.standard_normal((BATCH, TIMESTEPS, FEATURES)).astype("float32")

    fused = run(layer, x, **call_kwargs)
    fused_path = not scan_calls
    # For a case the hook fuses no scan ran; otherwise the layer fell back.
    assert fused_path == expect_fused, (B.name, scan_calls)
    scan_calls.clear()

    monkeypatch.delattr(B, hook_name, raising=False)
    reference = run(layer, x, **call_kwargs)
    assert scan_calls, "with the hook removed the layer must run its scan"
    assert fused.keys() == reference.keys()
    for key in reference:
        np.testing.assert_allclose(fused[key], reference[key], rtol=TOLERANCE, atol=TOLERANCE,
                                   err_msg=key)


OPTIONS = [
    {},
    {"return_sequences": True},
    {"return_state": True},
    {"return_sequences": True, "return_state": True, "go_backwards": True},
    {"go_backwards": True},
    {"use_bias": False, "return_sequences": True},
]


@pytest.mark.parametrize("cls", HOOKED)
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(o) or "default")
def test_fused_equals_scan(monkeypatch, scan_calls, rng, cls, options):
    compare_with_scan(monkeypatch, scan_calls, cls, rng, True, options)


@pytest.mark.parametrize("cls", HOOKED)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_fused_with_initial_state(monkeypatch, scan_calls, rng, cls, go_backwards):
    count = 2 if cls is LSTM else 1
    initial_state = [rng.standard_normal((BATCH, UNITS)).astype("float32") for _ in range(count)]
    compare_with_scan(monkeypatch, scan_calls, cls, rng, True,
                      {"return_sequences": True, "return_state": True, "go_backwards": go_backwards},
                      initial_state=initial_state)


def right_padded_mask(lengths):
    return np.arange(TIMESTEPS)[None, :] < np.asarray(lengths)[:, None]


@pytest.mark.parametrize("cls", HOOKED)
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_fused_with_right_padded_mask(monkeypatch, scan_calls, rng, cls, go_backwards, return_sequences):
    count = 2 if cls is LSTM else 1
    initial_state = [rng.standard_normal((BATCH, UNITS)).astype("float32") for _ in range(count)]
    compare_with_scan(monkeypatch, scan_calls, cls, rng, FUSES_MASKS,
                      {"return_sequences": return_sequences, "return_state": True,
                       "go_backwards": go_backwards},
                      initial_state=initial_state, mask=right_padded_mask([7, 3, 1, 5]))


@pytest.mark.parametrize("cls", HOOKED)
def test_fused_with_all_true_mask(monkeypatch, scan_calls, rng, cls):
    compare_with_scan(monkeypatch, scan_calls, cls, rng, FUSES_MASKS, {"return_sequences": True},
                      mask=right_padded_mask([TIMESTEPS] * BATCH))


@pytest.mark.parametrize("cls", HOOKED)
@pytest.mark.parametrize("mask", [
    np.array([[True, False, True, True, True, False, False]] * BATCH),  # a hole: not right-padded
    right_padded_mask([7, 0, 2, 3]),  # an empty row: torch cannot pack it
], ids=["hole", "empty-row"])
def test_unfusable_masks_fall_back(monkeypatch, scan_calls, rng, cls, mask):
    compare_with_scan(monkeypatch, scan_calls, cls, rng, False,
                      {"return_sequences": True, "return_state": True}, mask=mask)


@pytest.mark.parametrize("cls,options", [
    pytest.param(*case, marks=requires_adapter_hook("lstm" if case[0] is LSTM else "gru"))
    for case in [(LSTM, {"activation": "relu"}),
                 (LSTM, {"recurrent_activation": "hard_sigmoid"}),
                 (GRU, {"activation": "softsign"}),
                 (GRU, {"reset_after": False, "return_sequences": True})]
])
def test_unfusable_options_fall_back(monkeypatch, scan_calls, rng, cls, options):
    compare_with_scan(monkeypatch, scan_calls, cls, rng, False, options)


#: A half-precision layer against the float32 one, relative to the largest
#: float32 value: a bfloat16 rounding is up to 2**-9 relative, and over the
#: steps the scan (rounding after every op) and the fused kernels (float32
#: gate sums inside) both measured within 1e-2 on 30 steps; 2e-2 bounds both.
HALF_TOLERANCE = 2e-2


@pytest.mark.parametrize("cls", HOOKED)
@pytest.mark.parametrize("compute", ["bfloat16", "float16"])
def test_mixed_precision_layers_fuse_where_torch_has_a_half_kernel(monkeypatch, scan_calls, rng,
                                                                   cls, compute):
    """Under a mixed policy the layer computes in the half dtype: the fused
    kernel runs where torch has one (oneDNN's bfloat16 on the CPU, cuDNN's
    float16 and bfloat16 on a GPU), else the scan (TensorFlow's hook takes
    float32 and float64 only); either way outputs and gradients stay within
    the half dtype's rounding of the float32 layer's."""
    import kfacade

    hook_name = "lstm" if cls is LSTM else "gru"
    kfacade.mixed_precision.set_global_policy(f"mixed_{compute}")
    try:
        layer = make_layer(cls, np.random.default_rng(5), return_sequences=True)
    finally:
        kfacade.mixed_precision.set_global_policy("float32")
    full = make_layer(cls, np.random.default_rng(5), return_sequences=True)
    x = rng.standard_normal((BATCH, TIMESTEPS, FEATURES)).astype("float32")
    x = to_numpy(ops.cast(ops.cast(x, compute), "float32"))  # representable in the half dtype
    exact = run(full, x)
    half = run(layer, x)
    on_gpu = any(d.startswith("gpu") for d in B.list_devices())
    fuses = B.name == "torch" and (compute == "bfloat16" or on_gpu)
    assert (not scan_calls) == fuses, scan_calls
    scan_calls.clear()
    monkeypatch.delattr(B, hook_name, raising=False)
    scanned = run(layer, x)
    assert scan_calls
    for key, exact_key in zip(half, exact):  # the same order; the layers' names differ
        bound = HALF_TOLERANCE * np.max(np.abs(exact[exact_key]))
        for result in (half, scanned):
            np.testing.assert_allclose(result[key].astype("float64"), exact[exact_key], rtol=0,
                                       atol=bound, err_msg=key)


@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_use_cudnn_switch(scan_calls, rng, cls):
    x = rng.standard_normal((BATCH, TIMESTEPS, FEATURES)).astype("float32")
    make_layer(cls, rng, use_cudnn=False)(x)
    assert len(scan_calls) == 1  # use_cudnn=False always scans
    hook = getattr(B, "lstm" if cls is LSTM else "gru", None)
    if hook is None:
        with pytest.raises(ValueError, match="fused"):
            make_layer(cls, rng, use_cudnn=True)(x)
    else:
        make_layer(cls, rng, use_cudnn=True)(x)
        assert len(scan_calls) == 1
        with pytest.raises(NotImplementedError):  # use_cudnn=True does not fall back
            make_layer(cls, rng, use_cudnn=True, activation="relu")(x)


def test_fit_trains_through_the_hook(scan_calls, rng):
    """A compiled fit step reaches the weights through the fused kernel."""
    import kfacade

    model = kfacade.Sequential([kfacade.Input((TIMESTEPS, FEATURES)), LSTM(UNITS), kfacade.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = rng.standard_normal((16, TIMESTEPS, FEATURES)).astype("float32")
    y = rng.standard_normal((16, 1)).astype("float32")
    before = [w.copy() for w in model.get_weights()]
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert bool(scan_calls) == (getattr(B, "lstm", None) is None)


@requires_adapter_hook("lstm")
def test_bidirectional_masked_sequences_match_scan(rng):
    from kfacade.layers.rnn import Bidirectional

    x = rng.standard_normal((BATCH, TIMESTEPS, FEATURES)).astype("float32")
    mask = B.convert_to_tensor(right_padded_mask([7, 3, 1, 5]))
    outputs = []
    for use_cudnn in ("auto", False):
        wrapper = Bidirectional(LSTM(UNITS, return_sequences=True, use_cudnn=use_cudnn))
        wrapper.build((BATCH, TIMESTEPS, FEATURES))
        wrapper.set_weights([np.full(w.shape, 0.1, "float32") for w in wrapper.get_weights()])
        outputs.append(to_numpy(wrapper(x, mask=mask)))
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=TOLERANCE, atol=TOLERANCE)
