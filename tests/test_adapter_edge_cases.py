"""Edge cases where the adapters once disagreed, now fixed by the contract.

Each test runs on the active backend (``KERAS_BACKEND``), so the suite run
once per backend shows all three agree:

- ``dropout`` with ``rate=1`` returns zeros whose gradient is zero (not NaN);
  a rate outside [0, 1] raises a ValueError echoing it;
- a zero-step ``scan`` returns `init` and `ys` with a leading axis of 0,
  shaped as `f`'s per-step output;
- an eager ``scan`` reads the values its step closes over afresh on every
  call (JAX compiles one eager scan per structure and feeds it each call's
  arrays), and on JAX a repeated eager scan compiles nothing more;
- a ``scan``'s gradient compiles under ``jit_compile=True`` (XLA needs the
  loop's maximum trip count);
- ``take`` of rows wraps negative and nested indices as NumPy does, and an
  out-of-range index raises an error naming the axis's size (not on JAX).
"""
import numpy as np
import pytest

import kfacade
from kfacade.backend import adapter as B
from kfacade.random import SeedGenerator

F32 = np.float32


def to_numpy(value):
    return np.asarray(B.convert_to_numpy(value))


# ----------------------------------------------------------------- dropout


@pytest.mark.parametrize("noise_shape", [None, (3, 1)])
def test_dropout_rate_one_gives_zeros(noise_shape):
    x = B.convert_to_tensor(np.arange(12, dtype=F32).reshape(3, 4) - 5.0)
    result = B.dropout(x, 1.0, noise_shape=noise_shape, seed=SeedGenerator(2))
    assert B.shape(result) == (3, 4)
    assert B.dtype(result) == "float32"
    np.testing.assert_array_equal(to_numpy(result), np.zeros((3, 4), F32))
    # An int rate is the same rate.
    np.testing.assert_array_equal(to_numpy(B.dropout(x, 1, seed=3)), np.zeros((3, 4), F32))


def test_dropout_rate_one_has_zero_finite_gradient():
    value = np.linspace(-1.0, 1.0, 6, dtype=F32).reshape(2, 3)
    w = kfacade.Variable(value, name="w")

    def fn():
        dropped = B.dropout(B.multiply(w.value, 3.0), 1.0, seed=SeedGenerator(4))
        # sum(w) keeps the loss connected to w on every backend.
        return B.add(B.sum(dropped), B.sum(w.value)), None

    (loss, _), grads = B.value_and_grad(fn, [w])
    np.testing.assert_allclose(to_numpy(loss), value.sum(), atol=1e-6)
    gradient = to_numpy(grads[0])
    assert np.all(np.isfinite(gradient)), gradient
    np.testing.assert_array_equal(gradient, np.ones_like(value))  # the dropout branch adds 0


@pytest.mark.parametrize("rate", [-0.1, 1.5, float("nan")])
def test_dropout_rate_outside_zero_one_raises_and_echoes_it(rate):
    x = B.ones((2, 2))
    with pytest.raises(ValueError, match=rf"rate={rate!r}.*\[0, 1\]"):
        B.dropout(x, rate, seed=SeedGenerator(1))


# -------------------------------------------------------------------- scan


def _running_sum(carry, x):
    total = B.add(carry[0], x)
    return [total], B.multiply(total, 2.0)


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_over_zero_steps_returns_init_and_empty_ys(reverse):
    init = [B.full((3,), 7.0)]
    carry, ys = B.scan(_running_sum, init, B.zeros((0, 3)), reverse=reverse)
    assert isinstance(carry, list) and len(carry) == 1
    np.testing.assert_array_equal(to_numpy(carry[0]), np.full((3,), 7.0, F32))
    assert B.shape(ys) == (0, 3)
    assert B.dtype(ys) == "float32"


def test_scan_over_zero_steps_keeps_nested_ys_structure_and_dtypes():
    def step(carry, x):
        a, b = x
        total = B.add(carry[0], a)
        return [total], [B.cast(B.greater(b, 0.0), "int32"), B.expand_dims(total, 0)]

    xs = [B.zeros((0, 2)), B.zeros((0, 2))]
    carry, ys = B.scan(step, [B.zeros((2,))], xs)
    np.testing.assert_array_equal(to_numpy(carry[0]), np.zeros(2, F32))
    assert isinstance(ys, list) and len(ys) == 2
    assert (B.shape(ys[0]), B.dtype(ys[0])) == ((0, 2), "int32")
    assert (B.shape(ys[1]), B.dtype(ys[1])) == ((0, 1, 2), "float32")


def test_scan_with_length_zero_and_no_xs():
    def step(carry, x):
        assert x is None
        return [B.add(carry[0], 1.0)], B.zeros((4,))

    carry, ys = B.scan(step, [B.zeros((1,))], None, length=0)
    np.testing.assert_array_equal(to_numpy(carry[0]), np.zeros(1, F32))
    assert B.shape(ys) == (0, 4)


def _scaled_running_sum(weight, factor):
    """A scan over rows whose step closes over a tensor and a Python scalar."""
    def step(carry, x):
        total = B.add(B.multiply(carry[0], weight), x)
        return [total], B.multiply(total, factor)
    return step


def _numpy_scaled_running_sum(weight, factor, xs):
    total, ys = np.zeros(xs.shape[1:], F32), []
    for x in xs:
        total = total * weight + x
        ys.append(total * factor)
    return total, np.stack(ys)


def test_eager_scan_reads_what_its_step_closes_over_on_every_call(rng):
    """Same shapes, other closed-over tensors and scalars: each call's own result."""
    xs = rng.standard_normal((5, 3)).astype(F32)
    for weight, factor in [(0.5, 2.0), (-1.5, 2.0), (0.5, 3.0), (0.5, 2.0)]:
        w = np.full((3,), weight, F32)
        carry, ys = B.scan(_scaled_running_sum(B.convert_to_tensor(w), factor),
                           [B.zeros((3,))], B.convert_to_tensor(xs))
        expected_carry, expected_ys = _numpy_scaled_running_sum(w, F32(factor), xs)
        np.testing.assert_allclose(to_numpy(carry[0]), expected_carry, rtol=1e-6)
        np.testing.assert_allclose(to_numpy(ys), expected_ys, rtol=1e-6)


@pytest.mark.skipif(B.name != "jax", reason="JAX compiles an eager scan; TensorFlow and torch "
                                            "run its steps op by op, compiling nothing")
def test_repeated_eager_scans_compile_once():
    import jax

    compiles = []

    def listener(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            compiles.append(duration)

    xs = B.convert_to_tensor(np.ones((4, 3), F32))

    def run(weight):
        return B.scan(_scaled_running_sum(B.convert_to_tensor(np.full((3,), weight, F32)), 2.0),
                      [B.zeros((3,))], xs)

    run(0.5)  # compiles the scan
    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        first = to_numpy(run(0.5)[0][0])
        second = to_numpy(run(0.25)[0][0])
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
    assert compiles == []
    assert not np.allclose(first, second)


@pytest.mark.skipif(B.name != "jax", reason="JAX compiles one program per new shape for a "
                                            "device cast or copy; TensorFlow and torch compile none")
def test_new_variables_and_float64_inputs_compile_nothing():
    """Building a model makes a variable per weight shape and reads NumPy
    float64 data: on JAX each used to compile a copy or cast (about 50 ms)."""
    import jax

    compiles = []

    def listener(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            compiles.append(duration)

    source = np.arange(6.0).reshape(2, 3)  # float64
    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        from_numpy = kfacade.Variable(source, dtype="float32")
        from_array = kfacade.Variable(B.convert_to_tensor(np.ones((3, 7), F32)))
        data = B.convert_to_tensor(np.linspace(-2, 2, 11).reshape(11, 1))
        labels = B.convert_to_tensor(np.array([[3], [2**40 + 5]]), dtype="int32")
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
    assert compiles == []
    source[0, 0] = 99.0  # the variable holds a copy
    np.testing.assert_array_equal(to_numpy(from_numpy), np.arange(6.0, dtype=F32).reshape(2, 3))
    assert to_numpy(from_array).dtype == F32 and to_numpy(from_array).shape == (3, 7)
    np.testing.assert_array_equal(to_numpy(data), np.linspace(-2, 2, 11, dtype=F32).reshape(11, 1))
    assert to_numpy(data).dtype == F32
    np.testing.assert_array_equal(to_numpy(labels), np.array([[3], [5]], np.int32))  # wraps
    with B.device_scope("cpu:0"):  # a traced value has no placement to keep: it is cast
        traced = jax.jit(lambda x: B.variable_create(x, "float32", True, "v") * 2)(np.ones(3, F32))
    np.testing.assert_array_equal(to_numpy(traced), np.full(3, 2.0, F32))


@pytest.mark.parametrize("dtype", ["float32", "float16", "int32", "bool"])
def test_a_variable_keeps_its_value_when_the_source_array_is_written_at_once(dtype):
    """A variable holds a copy made before it is returned: a transfer that still
    read the caller's array afterwards took in writes made right after."""
    changed = 0
    for _ in range(40):
        source = np.ones((64, 65), dtype)
        variable = kfacade.Variable(source, dtype=dtype)
        source[...] = 0
        changed += int(not to_numpy(variable).all())
    assert changed == 0


def test_dropout_layer_rate_one_drops_everything_in_training_only():
    layer = kfacade.layers.Dropout(1.0, seed=4)
    x = np.ones((2, 5), F32)
    np.testing.assert_array_equal(to_numpy(layer(x, training=True)), np.zeros((2, 5), F32))
    np.testing.assert_array_equal(to_numpy(layer(x, training=False)), x)


@pytest.mark.parametrize("rate", [-0.1, 1.5])
def test_dropout_layer_rejects_rates_outside_zero_one(rate):
    with pytest.raises(ValueError, match=f"rate={rate}"):
        kfacade.layers.Dropout(rate)


# -------------------------------------------------------------------- take


@pytest.mark.skipif(B.name == "jax", reason="jax's take returns NaN for an out-of-range index "
                                            "(jnp.take's fill mode) instead of raising")
def test_take_out_of_range_names_the_axis_size():
    table = B.convert_to_tensor(np.zeros((5, 2), F32))
    with pytest.raises(Exception, match=r"5\b") as raised:
        B.take(table, B.convert_to_tensor(np.array([[1, 7]], np.int64)), axis=0)
    assert isinstance(raised.value, IndexError) or "InvalidArgument" in type(raised.value).__name__


def test_take_rows_with_negative_and_nested_indices_matches_numpy():
    table = np.arange(15, dtype=F32).reshape(5, 3)
    indices = np.array([[-1, 0], [2, -5]], np.int64)
    np.testing.assert_array_equal(to_numpy(B.take(B.convert_to_tensor(table), indices, axis=0)),
                                  np.take(table, indices, axis=0))
    np.testing.assert_array_equal(to_numpy(B.take(B.convert_to_tensor(table), np.array(-2), axis=0)),
                                  np.take(table, -2, axis=0))


@pytest.mark.skipif(B.name == "torch", reason="adapter 'torch': its scan is a Python loop, "
                                              "which torch.compile unrolls: no loop to size")
def test_a_scans_gradient_compiles_with_jit_compile(rng):
    """XLA (TensorFlow's jit_compile=True) sizes a loop's gradient stacks from
    its maximum trip count; the scan's gradient equals the eager one."""
    xs = rng.standard_normal((5, 3)).astype(F32)
    w = kfacade.Variable(np.full((3,), 0.5, F32))

    def loss():
        carry, ys = B.scan(_scaled_running_sum(w.value, 2.0), [B.zeros((3,))],
                           B.convert_to_tensor(xs))
        return B.sum(ys) + B.sum(carry[0]), None

    def gradient(_):
        return {"grad": B.value_and_grad(loss, [w])[1][0]}

    compiled = B.compile_function(gradient, [w], True)
    np.testing.assert_allclose(to_numpy(compiled(None)["grad"]), to_numpy(gradient(None)["grad"]),
                               rtol=1e-5)
