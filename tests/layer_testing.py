"""``run_layer_test``: one call that checks a layer the way Keras 3's
``testing.TestCase.run_layer_test`` does, on the active backend.

Use it for every layer class with one small case; write separate tests
only for the numbers (against NumPy) and for the error messages.

Example:
    >>> from layer_testing import run_layer_test
    >>> run_layer_test(
    ...     layers.Conv2D, {"filters": 3, "kernel_size": 2},
    ...     input_shape=(2, 5, 5, 4), expected_output_shape=(2, 4, 4, 3),
    ...     expected_num_trainable_weights=2,
    ... )

Multi-input layers (merging layers) pass ``input_shape`` as a list of
shapes (or ``input_data`` as a list of arrays); multi-output layers
(``return_state``) return a list or tuple, and ``expected_output_shape``
is then a list of shapes. Layers whose call needs arguments besides the
inputs (``mask=``, ``initial_state=``) pass them in ``call_kwargs``.
"""
import json

import numpy as np

import kfacade
from kfacade.backend import adapter as B
from kfacade.engine import tree

#: Forward comparisons (symbolic vs eager, reloaded weights vs original):
#: the same float32 computation runs twice, possibly compiled differently
#: (XLA fusions, tf.function), so results agree to rounding only.
FORWARD_RTOL = 1e-5
FORWARD_ATOL = 1e-5

#: Gradient check: a central difference with step FD_EPSILON on float32
#: weights. For a loss quadratic in the weight (a linear layer and
#: sum(y ** 2)) the difference is exact up to rounding, which is about
#: 1e-7 * loss / FD_EPSILON; the tolerance, relative to the largest
#: gradient entry of that weight, is 2e-2, far above it and far below the
#: error a wrong gradient (a missing or swapped entry) gives.
FD_EPSILON = 1e-2
FD_RTOL = 2e-2
#: Entries of each trainable weight checked by finite differences.
FD_ENTRIES_PER_WEIGHT = 3


def run_layer_test(layer_cls, init_kwargs, input_shape=None, input_data=None,
                   expected_output_shape=None, expected_output=None,
                   expected_num_trainable_weights=None, expected_num_non_trainable_weights=None,
                   supports_masking=None, run_training_check=True, call_kwargs=None,
                   input_dtype="float32", expected_output_rtol=FORWARD_RTOL,
                   expected_output_atol=FORWARD_ATOL, seed=0):
    """Checks `layer_cls(**init_kwargs)` eagerly and in a functional model.

    Args:
        layer_cls: the layer class.
        init_kwargs: constructor arguments.
        input_shape: a shape with the batch size (or a list of shapes for a
            multi-input layer); random normal data of that shape is used.
        input_data: NumPy data instead of `input_shape` (array or list).
        expected_output_shape: the eager output's shape (list for several outputs).
        expected_output: NumPy values the eager output must match.
        expected_num_trainable_weights, expected_num_non_trainable_weights:
            weight counts after the first call.
        supports_masking: the expected ``layer.supports_masking``.
        run_training_check: compare the backend's gradient of
            ``sum(layer(x) ** 2)`` with central finite differences on a few
            entries of each trainable weight.
        call_kwargs: extra keyword arguments of every call (not the inputs).
        input_dtype: dtype of the generated input data.
        expected_output_rtol, expected_output_atol: tolerance of `expected_output`.
        seed: seed of the generated data and of the entries checked.

    Checks, in order:
        1. ``get_config`` is JSON-serializable and ``from_config`` rebuilds a
           layer with the same config (before and after building).
        2. The eager output's shapes equal ``compute_output_shape`` (and
           `expected_output_shape`); values match `expected_output`.
        3. Weight counts; ``supports_masking``.
        4. ``get_weights`` -> ``set_weights`` into a layer made by
           ``from_config`` gives the same weights and the same output.
        5. Symbolic: ``Input`` (batch None) -> layer -> ``Model``; the
           symbolic output shapes equal ``compute_output_shape`` with batch
           None, and ``model.predict`` equals the eager output.
        6. Gradients (if `run_training_check` and the layer has trainable weights).

    Returns:
        The eagerly built layer, for further checks.
    """
    if input_shape is None and input_data is None:
        raise ValueError("run_layer_test needs `input_shape` or `input_data`.")
    rng = np.random.default_rng(seed)
    call_kwargs = dict(call_kwargs or {})
    if input_data is None:
        input_data = _random_inputs(rng, input_shape, input_dtype)
    multi_input = isinstance(input_data, (list, tuple))
    input_shapes = [np.shape(x) for x in input_data] if multi_input else np.shape(input_data)

    # 1. Config round trip, before the layer is built.
    layer = layer_cls(**init_kwargs)
    config = layer.get_config()
    _check_config_round_trip(layer_cls, config)

    # 2. Eager call and shapes.
    native = _to_native(input_data)
    outputs = layer(native, **call_kwargs)
    actual_shapes = _output_shapes(outputs)
    computed = _as_shape_list(layer.compute_output_shape(
        [tuple(s) for s in input_shapes] if multi_input else tuple(input_shapes)
    ))
    assert actual_shapes == computed, (
        f"{layer_cls.__name__}: eager output shapes {actual_shapes} != "
        f"compute_output_shape {computed}"
    )
    if expected_output_shape is not None:
        assert actual_shapes == _as_shape_list(expected_output_shape), (
            f"{layer_cls.__name__}: output shapes {actual_shapes} != expected "
            f"{_as_shape_list(expected_output_shape)}"
        )
    eager_values = [np.asarray(B.convert_to_numpy(o)) for o in tree.flatten(outputs)]
    if expected_output is not None:
        expected = [np.asarray(e) for e in tree.flatten(expected_output)]
        assert len(expected) == len(eager_values)
        for actual, wanted in zip(eager_values, expected):
            np.testing.assert_allclose(actual, wanted, rtol=expected_output_rtol,
                                       atol=expected_output_atol)

    # The config of a built layer is unchanged, and still round-trips.
    assert _normalize(layer.get_config()) == _normalize(config), (
        f"{layer_cls.__name__}: get_config() changed when the layer was built"
    )

    # 3. Weight counts and masking.
    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights, (
            f"{layer_cls.__name__}: {len(layer.trainable_weights)} trainable weights, "
            f"expected {expected_num_trainable_weights}"
        )
    if expected_num_non_trainable_weights is not None:
        assert len(layer.non_trainable_weights) == expected_num_non_trainable_weights, (
            f"{layer_cls.__name__}: {len(layer.non_trainable_weights)} non-trainable weights, "
            f"expected {expected_num_non_trainable_weights}"
        )
    if supports_masking is not None:
        assert bool(layer.supports_masking) == supports_masking, (
            f"{layer_cls.__name__}.supports_masking is {layer.supports_masking}, "
            f"expected {supports_masking}"
        )

    # 4. Weights round trip into a layer rebuilt from its config.
    weights = layer.get_weights()
    clone = layer_cls.from_config(config)
    clone(native, **call_kwargs)  # builds it
    clone.set_weights(weights)
    for original, copied in zip(weights, clone.get_weights()):
        np.testing.assert_array_equal(original, copied)
    _assert_outputs_close(clone(native, **call_kwargs), eager_values,
                          f"{layer_cls.__name__} rebuilt with set_weights")

    # 5. Symbolic call in a functional model.
    symbolic_layer = layer_cls.from_config(config)
    if multi_input:
        inputs = [kfacade.Input(shape=tuple(s[1:]), dtype=_dtype_name(x))
                  for s, x in zip(input_shapes, input_data)]
    else:
        inputs = kfacade.Input(shape=tuple(input_shapes[1:]), dtype=_dtype_name(input_data))
    symbolic_outputs = symbolic_layer(inputs, **call_kwargs)
    symbolic_shapes = [tuple(o.shape) for o in tree.flatten(symbolic_outputs)]
    batchless = [(None,) + tuple(s[1:]) for s in input_shapes] if multi_input \
        else (None,) + tuple(input_shapes[1:])
    expected_symbolic = _as_shape_list(symbolic_layer.compute_output_shape(batchless))
    assert symbolic_shapes == expected_symbolic, (
        f"{layer_cls.__name__}: symbolic output shapes {symbolic_shapes} != "
        f"compute_output_shape {expected_symbolic}"
    )
    for symbolic, eager in zip(symbolic_shapes, actual_shapes):
        assert symbolic[1:] == eager[1:], (
            f"{layer_cls.__name__}: symbolic shape {symbolic} disagrees with eager {eager}"
        )
    symbolic_layer.set_weights(weights)
    model = kfacade.Model(inputs, symbolic_outputs)
    predicted = model.predict(list(input_data) if multi_input else input_data, verbose=0)
    _assert_outputs_close(predicted, eager_values, f"{layer_cls.__name__} in Model.predict")

    # 6. Gradients against finite differences.
    if run_training_check and layer.trainable_weights:
        check_gradients(layer, native, call_kwargs, rng)
    return layer


def check_gradients(layer, inputs, call_kwargs=None, rng=None):
    """Compares ``value_and_grad`` of ``sum(layer(inputs) ** 2)`` with central differences.

    Checks FD_ENTRIES_PER_WEIGHT random entries of each trainable weight
    (tolerance: see FD_RTOL). The weights are restored afterwards.
    """
    call_kwargs = dict(call_kwargs or {})
    rng = rng if rng is not None else np.random.default_rng(0)
    variables = list(layer.trainable_weights)

    def loss_fn():
        total = 0.0
        for output in tree.flatten(layer(inputs, **call_kwargs)):
            total = kfacade.ops.add(total, kfacade.ops.sum(kfacade.ops.square(output)))
        return total, None

    def numpy_loss():
        outputs = tree.flatten(layer(inputs, **call_kwargs))
        return sum(float(np.sum(np.square(np.asarray(B.convert_to_numpy(o), np.float64))))
                   for o in outputs)

    _, grads = B.value_and_grad(loss_fn, variables)
    for variable, grad in zip(variables, grads):
        grad = np.asarray(B.convert_to_numpy(grad), np.float64)
        assert grad.shape == tuple(variable.shape), (
            f"gradient of {variable.path} has shape {grad.shape}, expected {variable.shape}"
        )
        original = variable.numpy()
        scale = max(float(np.max(np.abs(grad))), 1e-3)
        size = int(np.prod(variable.shape))
        picks = rng.choice(size, size=min(FD_ENTRIES_PER_WEIGHT, size), replace=False)
        try:
            for flat in picks:
                index = np.unravel_index(flat, original.shape)
                losses = []
                for step in (FD_EPSILON, -FD_EPSILON):
                    perturbed = original.copy()
                    perturbed[index] += step
                    variable.assign(perturbed)
                    losses.append(numpy_loss())
                numeric = (losses[0] - losses[1]) / (2 * FD_EPSILON)
                assert abs(numeric - grad[index]) <= FD_RTOL * scale, (
                    f"gradient of {variable.path} at {tuple(int(i) for i in index)}: backend "
                    f"{grad[index]:.6g}, finite difference {numeric:.6g} (scale {scale:.3g})"
                )
        finally:
            variable.assign(original)


# ------------------------------------------------------------------ helpers


def _random_inputs(rng, input_shape, dtype):
    if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (list, tuple)):
        return [_random_inputs(rng, shape, dtype) for shape in input_shape]
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(tuple(input_shape)).astype(dtype)
    return rng.integers(0, 5, size=tuple(input_shape)).astype(dtype)


def _to_native(data):
    if isinstance(data, (list, tuple)):
        return [B.convert_to_tensor(x) for x in data]
    return B.convert_to_tensor(data)


def _dtype_name(data):
    return np.asarray(data).dtype.name


def _output_shapes(outputs):
    return [tuple(B.shape(o)) for o in tree.flatten(outputs)]


def _as_shape_list(shapes):
    """A shape or a list/tuple of shapes as a list of tuples."""
    if isinstance(shapes, (list, tuple)) and shapes and isinstance(shapes[0], (list, tuple)):
        return [tuple(s) for s in shapes]
    if isinstance(shapes, dict):
        return [tuple(s) for s in shapes.values()]
    return [tuple(shapes)]


def _normalize(value):
    """Tuples as lists, recursively, so that configs compare as JSON would."""
    if isinstance(value, (list, tuple)):
        return [_normalize(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalize(v) for k, v in value.items()}
    return value


def _check_config_round_trip(layer_cls, config):
    try:
        json.dumps(_normalize(config))
    except TypeError as error:
        raise AssertionError(f"{layer_cls.__name__}.get_config() is not JSON-serializable: {error}")
    rebuilt = layer_cls.from_config(json.loads(json.dumps(_normalize(config))))
    assert _normalize(rebuilt.get_config()) == _normalize(config), (
        f"{layer_cls.__name__}: from_config(get_config()) gives config "
        f"{rebuilt.get_config()}, expected {config}"
    )


def _assert_outputs_close(outputs, expected_values, what):
    values = [np.asarray(B.convert_to_numpy(o)) if not isinstance(o, np.ndarray) else o
              for o in tree.flatten(outputs)]
    assert len(values) == len(expected_values), f"{what}: {len(values)} outputs, expected {len(expected_values)}"
    for actual, expected in zip(values, expected_values):
        np.testing.assert_allclose(actual, expected, rtol=FORWARD_RTOL, atol=FORWARD_ATOL,
                                   err_msg=what)
