"""The three ways to build a model, on the active backend."""
import numpy as np
import pytest

import kfacade as keras
from kfacade import layers
from helpers import assert_close
from snippets import seed_models


def _dense_reference(model, x):
    for layer in model.layers:
        kernel, bias = layer.get_weights()
        x = x @ kernel + bias
        x = np.maximum(x, 0) if layer.activation.__name__ == "relu" else x
        if layer.activation.__name__ == "softmax":
            x = np.exp(x - x.max(-1, keepdims=True))
            x = x / x.sum(-1, keepdims=True)
    return x


def test_seed_sequential_matches_numpy(rng):
    model = seed_models.sequential_model()
    assert model.built and model.input.shape == (None, 100)
    x = rng.standard_normal((5, 100)).astype("float32")
    assert_close(model.predict(x, batch_size=2, verbose=0), _dense_reference(model, x))
    assert_close(model(x), _dense_reference(model, x))


def test_seed_functional_and_intermediate_outputs(rng):
    model = seed_models.functional_model()
    x = rng.standard_normal((3, 784)).astype("float32")
    assert model.predict(x, verbose=0).shape == (3, 10)
    hidden = keras.Model(inputs=model.input, outputs=model.get_layer(model.layers[1].name).output)
    k, b = model.layers[1].get_weights()
    assert_close(hidden.predict(x, verbose=0), np.maximum(x @ k + b, 0), atol=1e-4)
    assert model.get_layer(index=1) is model.layers[1]
    with pytest.raises(ValueError, match="No such layer"):
        model.get_layer("missing")


def test_seed_custom_layer_and_subclassed(rng):
    model = seed_models.custom_layer_model()
    x = rng.standard_normal((4, 20)).astype("float32")
    kernel = model.layers[0].get_weights()[0]
    assert_close(model.predict(x, verbose=0), np.tanh(x @ kernel))
    mlp = seed_models.subclassed_model()
    assert len(mlp.weights) == 8 and len(mlp.trainable_weights) == 6
    assert mlp.predict(x, verbose=0).shape == (4, 10)


def test_subclassed_model_without_training_argument_trains_its_batchnorm(rng):
    mlp = seed_models.SimpleMLP(use_bn=True)
    x = rng.standard_normal((16, 20)).astype("float32")
    mlp(x)
    before = mlp.bn.moving_mean.numpy().copy()
    mlp(x, training=True)
    assert not np.allclose(mlp.bn.moving_mean.numpy(), before)
    after = mlp.bn.moving_mean.numpy().copy()
    mlp(x, training=False)
    np.testing.assert_array_equal(mlp.bn.moving_mean.numpy(), after)


def test_deferred_sequential_builds_on_first_call(rng):
    model = keras.Sequential([layers.Dense(4, activation="relu"), layers.Dense(2)])
    assert not model.built
    x = rng.standard_normal((3, 5)).astype("float32")
    y = model(x)
    assert model.built and tuple(keras.ops.shape(y)) == (3, 2)
    assert model.input.shape == (None, 5)


def test_sequential_with_input_and_pop():
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(4), layers.Dense(2)])
    assert model.output.shape == (None, 2)
    model.pop()
    assert model.output.shape == (None, 4)
    with pytest.raises(ValueError, match="unique names"):
        model.add(layers.Dense(1, name=model.layers[0].name))
    with pytest.raises(ValueError, match="Layer"):
        model.add("not a layer")


def test_multi_input_multi_output_lists_and_dicts(rng):
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(2,), name="b")
    merged = keras.ops.concatenate([a, b], axis=-1)
    out1 = layers.Dense(1, name="out1")(merged)
    out2 = layers.Dense(2, name="out2")(merged)
    model = keras.Model(inputs={"a": a, "b": b}, outputs={"first": out1, "second": out2})
    xa = rng.standard_normal((4, 3)).astype("float32")
    xb = rng.standard_normal((4, 2)).astype("float32")
    result = model.predict({"a": xa, "b": xb}, verbose=0)
    k1, b1 = model.get_layer("out1").get_weights()
    assert_close(result["first"], np.concatenate([xa, xb], -1) @ k1 + b1)
    assert result["second"].shape == (4, 2)
    list_model = keras.Model([a, b], [out1, out2])
    first, second = list_model.predict([xa, xb], verbose=0)
    assert_close(first, result["first"])


def test_shared_layer_and_model_as_layer(rng):
    a = keras.Input(shape=(4,))
    b = keras.Input(shape=(4,))
    shared = layers.Dense(3)
    model = keras.Model([a, b], [shared(a), shared(b)])
    assert len(model.weights) == 2
    x = rng.standard_normal((2, 4)).astype("float32")
    ya, yb = model.predict([x, x], verbose=0)
    assert_close(ya, yb)
    inner = seed_models.functional_model()
    outer_input = keras.Input(shape=(784,))
    outer = keras.Model(outer_input, layers.Dense(2)(inner(outer_input)))
    assert len(outer.weights) == len(inner.weights) + 2
    xi = rng.standard_normal((2, 784)).astype("float32")
    assert_close(keras.ops.convert_to_numpy(inner(xi)), inner.predict(xi, verbose=0))


def test_graph_disconnected_and_duplicate_names():
    a = keras.Input(shape=(2,))
    b = keras.Input(shape=(2,))
    out = keras.ops.add(layers.Dense(1)(a), layers.Dense(1)(b))
    with pytest.raises(ValueError, match="Graph disconnected"):
        keras.Model(a, out)
    x = keras.Input(shape=(2,))
    y = layers.Dense(1, name="same")(layers.Dense(2, name="same")(x))
    with pytest.raises(ValueError, match="unique"):
        keras.Model(x, y)


def test_shape_mismatch_error_names_both_shapes():
    model = seed_models.sequential_model()
    with pytest.raises(ValueError, match=r"\(None, 100\).*\(5, 99\)"):
        model.predict(np.zeros((5, 99), "float32"), verbose=0)
    with pytest.raises(ValueError, match=r"\(5, 99\)"):
        model(np.zeros((5, 99), "float32"))


def test_summary_lists_layers(capsys):
    seed_models.sequential_model().summary()
    text = capsys.readouterr().out
    assert "Total params: 7114" in text and "(None, 64)" in text


def test_k_function_reads_intermediate_layers(rng):
    from kfacade import backend as K

    model = seed_models.sequential_model()
    get_hidden = K.function([model.input], [model.layers[0].output])
    x = rng.standard_normal((2, 100)).astype("float32")
    k, b = model.layers[0].get_weights()
    assert_close(get_hidden([x])[0], np.maximum(x @ k + b, 0), atol=1e-4)


def test_device_scope_keeps_variables_trainable(rng):
    with keras.device("cpu:0"):
        model = seed_models.sequential_model()
    x = rng.standard_normal((2, 100)).astype("float32")
    variables = model.trainable_variables

    def loss_fn():
        return keras.ops.sum(keras.ops.square(model(x))), None

    (_, _), grads = keras.backend.adapter.value_and_grad(loss_fn, variables)
    assert all(keras.ops.convert_to_numpy(g).shape == v.shape for g, v in zip(grads, variables))
    assert any(np.abs(keras.ops.convert_to_numpy(g)).sum() > 0 for g in grads)


class _CountingModel(keras.Model):
    """Keras's "customizing fit" pattern: a Model subclass overriding
    train_step, built from inputs and outputs."""

    def train_step(self, data):
        self.steps_run = getattr(self, "steps_run", 0) + 1
        return super().train_step(data)


def test_subclass_of_model_built_from_inputs_and_outputs(rng, tmp_path):
    inputs = keras.Input((3,))
    model = _CountingModel(inputs, layers.Dense(2)(inputs))
    assert isinstance(model, _CountingModel) and type(model).__name__ == "_CountingModel"
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Dense"]
    model.compile("sgd", "mse", run_eagerly=True)  # train_step runs as Python each step
    x, y = rng.standard_normal((8, 3)).astype("float32"), np.ones((8, 2), "float32")
    model.fit(x, y, batch_size=4, verbose=0)
    assert model.steps_run == 2
    kernel, bias = model.layers[1].get_weights()
    assert_close(model.predict(x, verbose=0), x @ kernel + bias, atol=1e-5)
    rebuilt = _CountingModel.from_config(model.get_config())
    assert type(rebuilt) is type(model)
    for name in ("m.keras", "m.h5"):
        model.save(tmp_path / name)
        loaded = keras.models.load_model(tmp_path / name,
                                         custom_objects={"_CountingModel": _CountingModel})
        assert isinstance(loaded, _CountingModel)
        assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert isinstance(keras.models.clone_model(model), _CountingModel)


def test_model_subclass_constructors_choose_functional_only_for_inputs_and_outputs(rng):
    class Tagged(keras.Model):
        def __init__(self, inputs, outputs, tag):
            super().__init__(inputs, outputs)
            self.tag = tag

    class TwoNumbers(keras.Model):  # two positional arguments of its own
        def __init__(self, units, depth):
            super().__init__()
            self.dense = layers.Dense(units)
            self.depth = depth

        def call(self, x):
            return self.dense(x)

    inputs = keras.Input((3,))
    tagged = Tagged(inputs, layers.Dense(2)(inputs), "t")
    assert tagged.tag == "t" and tuple(tagged(np.ones((1, 3), "float32")).shape) == (1, 2)
    plain = TwoNumbers(4, 2)
    assert tuple(plain(np.ones((1, 3), "float32")).shape) == (1, 4)
    assert not hasattr(plain, "_nodes")  # not functional
    with pytest.raises(ValueError, match="inputs and outputs"):
        _CountingModel(inputs)


def test_keras1_input_and_output_names_build_a_functional_model_with_a_warning(rng):
    """``Model(input=..., output=...)``: Keras 2 still took Keras 1's names, warning."""
    inputs = keras.Input((3,))
    outputs = layers.Dense(2)(inputs)
    with pytest.warns(UserWarning, match=r"Model\(inputs=\.\.\., outputs=\.\.\.\)") as caught:
        model = keras.Model(input=inputs, output=outputs, name="old_names")
    assert len(caught) == 1 and caught[0].filename == __file__
    assert model.name == "old_names" and [type(l).__name__ for l in model.layers] == [
        "InputLayer", "Dense"]
    x = rng.standard_normal((4, 3)).astype("float32")
    kernel, bias = model.layers[1].get_weights()
    assert_close(model.predict(x, verbose=0), x @ kernel + bias, atol=1e-5)
    with pytest.warns(UserWarning):
        subclassed = _CountingModel(input=inputs, output=outputs)
    assert isinstance(subclassed, _CountingModel) and hasattr(subclassed, "_nodes")
    with pytest.raises(TypeError, match="both `input`"):
        keras.Model(input=inputs, inputs=inputs, output=outputs)
