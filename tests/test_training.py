"""compile / fit / evaluate / predict on the active backend."""
import numpy as np
import pytest

import kfacade as keras
from kfacade import layers
from kfacade.backend import adapter as B
from helpers import assert_close
from snippets import seed_models


def _classification_data(n=256, features=8, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features)).astype("float32")
    y = np.argmax(x[:, :classes], axis=1).astype("int64")
    return x, y


def _small_model(classes=3, features=8):
    return keras.Sequential([layers.Dense(16, activation="relu", input_shape=(features,)),
                             layers.Dense(classes, activation="softmax")])


@pytest.mark.slow
def test_digits_mlp_reaches_095():
    """The seed's MLP recipe on real 8x8 digits."""
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples"))
    import digits_mlp

    assert digits_mlp.main(epochs=12, batch_size=64, verbose=0) >= 0.95


def test_fit_learns_and_history_and_evaluate_forms():
    keras.utils.set_random_seed(1)
    x, y = _classification_data()
    model = _small_model()
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=10, verbose=0, validation_split=0.25)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert accuracy > 0.7
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "accuracy"}
    assert model.predict(x[:5], verbose=0).shape == (5, 3)


def test_bad_input_raises_before_any_weight_changes():
    x, y = _classification_data()
    model = _small_model()
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    model.build((None, 8))
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=r"(?s)256.*255"):
        model.fit(x, keras.utils.to_categorical(y[:-1], 3), verbose=0)
    with pytest.raises(ValueError, match=r"\(2, 5\).*\(None, 3\)|5"):
        model.fit(x, keras.utils.to_categorical(y, 5), verbose=0)
    sparse = _small_model()
    sparse.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    sparse.build((None, 8))
    sparse_before = [w.copy() for w in sparse.get_weights()]
    with pytest.raises(ValueError, match="labels"):
        sparse.fit(x, y + 5, verbose=0)
    for a, b in zip(before + sparse_before, model.get_weights() + sparse.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="nonsense_optimizer"):
        model.compile(optimizer="nonsense_optimizer", loss="mse")
    with pytest.raises(ValueError, match="nonsense_loss"):
        model.compile(optimizer="sgd", loss="nonsense_loss")
    with pytest.raises(ValueError, match="nonsense_metric"):
        model.compile(optimizer="sgd", loss="mse", metrics=["nonsense_metric"])

    def generator():
        while True:
            yield x[:32], y[:32]

    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(generator(), steps_per_epoch=2, validation_split=0.2, verbose=0)


def test_generators_sequences_and_fit_generator():
    x, y = _classification_data()

    def generator():
        while True:
            for i in range(0, len(x), 32):
                yield x[i:i + 32], y[i:i + 32]

    class Batches(keras.utils.Sequence):
        def __len__(self):
            return len(x) // 32

        def __getitem__(self, i):
            return x[i * 32:(i + 1) * 32], y[i * 32:(i + 1) * 32]

    model = _small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["acc"])
    h1 = model.fit(generator(), steps_per_epoch=8, epochs=2, verbose=0)
    h2 = model.fit_generator(Batches(), epochs=2, verbose=0, workers=2)
    assert len(h1.history["loss"]) == 2 and "acc" in h2.history
    # The 8 batches of Batches are x and y in order: the same loss and accuracy.
    np.testing.assert_allclose(model.evaluate_generator(Batches()),
                               model.evaluate(x, y, batch_size=32, verbose=0), rtol=1e-5)
    assert model.predict_generator((x[i:i + 64] for i in range(0, 128, 64)), steps=2).shape == (128, 3)



def test_keras2_sequential_predict_classes_and_proba():
    """Keras 2's Sequential.predict_classes / predict_proba (removed in Keras 3)."""
    x, y = _classification_data(n=16)
    model = _small_model()
    proba = model.predict_proba(x)
    np.testing.assert_allclose(proba, model.predict(x, verbose=0), rtol=1e-6)
    np.testing.assert_array_equal(model.predict_classes(x, verbose=0), proba.argmax(axis=-1))
    binary = keras.Sequential([layers.Dense(1, activation="sigmoid", input_shape=(8,))])
    classes = binary.predict_classes(x, batch_size=4)
    assert classes.shape == (16, 1) and classes.dtype == np.int32
    np.testing.assert_array_equal(classes, (binary.predict(x, verbose=0) > 0.5).astype("int32"))


def test_keras2_model_reset_states_resets_every_stateful_layer():
    """Keras 2's model.reset_states(), nested models and Bidirectional included."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    inner = keras.Sequential([layers.Input(batch_shape=(2, 3, 4)),
                              layers.LSTM(3, stateful=True, return_sequences=True)])
    model = keras.Sequential([layers.Input(batch_shape=(2, 3, 4)), inner,
                              layers.Bidirectional(layers.GRU(2, stateful=True)),
                              layers.Dense(1)])
    first = model.predict(x, verbose=0)
    assert not np.allclose(model.predict(x, verbose=0), first)  # the states carried over
    model.reset_states()
    np.testing.assert_allclose(model.predict(x, verbose=0), first, rtol=1e-5, atol=1e-6)


def test_fit_a_model_whose_inputs_fix_the_batch_size():
    """Keras 2's stateful recipe: batch_input_shape fixes the batch; fit must not
    build the model on placeholder batches of another size."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 1, 1)).astype("float32")
    model = keras.Sequential()
    model.add(layers.LSTM(4, batch_input_shape=(8, 1, 1), stateful=True))
    model.add(layers.Dense(1))
    model.compile(loss="mse", optimizer="adam")
    history = model.fit(x, x[:, 0], batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert np.isfinite(model.evaluate(x, x[:, 0], batch_size=8, verbose=0))


def test_keras2_add_loss_takes_inputs_and_lists():
    """Keras 2's ``add_loss(losses, inputs=None)``: a list of losses, and the
    ``inputs`` argument of conditional losses (ignored: a layer's losses are
    recomputed at every call)."""

    class TwoLosses(layers.Layer):
        def call(self, inputs):
            self.add_loss([keras.ops.mean(inputs), 2.0 * keras.ops.mean(inputs)], inputs=inputs)
            return inputs

    layer = TwoLosses()
    layer(np.ones((2, 3), "float32"))
    np.testing.assert_allclose([float(keras.ops.convert_to_numpy(v)) for v in layer.losses],
                               [1.0, 2.0])



def test_compile_without_a_loss_trains_and_validates_on_added_losses():
    """As in Keras 2 and 3: ``compile(loss=None)`` with a layer's ``add_loss``
    (Keras 2's VAE) trains on the added losses, with no targets, and reports
    them as ``loss``/``val_loss``; with no loss at all, fit says so."""

    class Penalty(layers.Layer):
        def call(self, inputs):
            self.add_loss(keras.ops.mean(keras.ops.square(inputs)))
            return inputs

    keras.utils.set_random_seed(3)
    inputs = keras.Input((4,))
    model = keras.Model(inputs, Penalty()(layers.Dense(4)(inputs)))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=None)
    x = np.random.default_rng(0).standard_normal((32, 4)).astype("float32")
    history = model.fit(x, epochs=3, batch_size=8, validation_data=(x, None), verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert np.isfinite(history.history["val_loss"]).all()
    expected = np.mean(model.predict(x, verbose=0) ** 2)
    np.testing.assert_allclose(model.evaluate(x, batch_size=32, verbose=0), expected, rtol=1e-5)

    plain = keras.Sequential([layers.Dense(1, input_shape=(4,))])
    plain.compile(optimizer="sgd", loss=None)
    with pytest.raises(ValueError, match="No loss to compute"):
        plain.fit(x, x[:, :1], verbose=0)


def test_model_losses_stay_usable_after_compiled_steps():
    """A compiled step's ``add_loss`` values are graph values (JAX tracers,
    symbolic TF tensors); none stays on the layers, so ``model.losses`` after
    fit, evaluate or predict is still a list of numbers (an eager step's
    values, on torch; none from a traced step, as Keras keeps none)."""

    class Penalty(layers.Layer):
        def call(self, inputs):
            self.add_loss(keras.ops.sum(inputs * inputs))
            return inputs * 2.0

    inputs = keras.Input((4,))
    model = keras.Model(inputs, layers.Dense(1)(Penalty()(inputs)))
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((8, 4), "float32"), np.ones((8, 1), "float32")
    for run in (lambda: model.fit(x, y, verbose=0), lambda: model.evaluate(x, y, verbose=0),
                lambda: model.predict(x, verbose=0)):
        run()
        values = [float(keras.ops.convert_to_numpy(loss)) for loss in model.losses]
        assert values in ([], [32.0]), values  # the last batch's 8 rows of 4 ones
    model(x)  # an eager call's loss is kept
    assert [float(keras.ops.convert_to_numpy(loss)) for loss in model.losses] == [32.0]


def test_seed_simple_mlp_fit_trains_batchnorm_statistics():
    x, y = _classification_data(features=20, classes=10)
    model = seed_models.SimpleMLP(use_bn=True, use_dp=True)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    assert np.abs(model.bn.moving_mean.numpy()).sum() > 0


def test_batch_methods_sample_and_class_weights():
    x, y = _classification_data()
    model = _small_model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    # train_on_batch reports the loss and accuracy of the forward pass before its update.
    probabilities = np.asarray(model.predict_on_batch(x[:32]), np.float64)
    loss, acc = model.train_on_batch(x[:32], y[:32])
    assert loss == pytest.approx(-np.mean(np.log(probabilities[np.arange(32), y[:32]])), rel=1e-5)
    assert acc == pytest.approx(np.mean(np.argmax(probabilities, axis=1) == y[:32]))
    assert set(model.test_on_batch(x[:32], y[:32], return_dict=True)) == {"loss", "accuracy"}
    assert model.predict_on_batch(x[:4]).shape == (4, 3)
    model.fit(x, y, sample_weight=np.ones(len(x)), class_weight={0: 1.0, 1: 2.0, 2: 1.0},
              epochs=1, verbose=0)
    zero = model.evaluate(x, y, sample_weight=np.zeros(len(x)), verbose=0)
    assert zero[0] == pytest.approx(0.0, abs=1e-6)


def test_multi_output_losses_and_weights():
    inputs = keras.Input(shape=(4,))
    hidden = layers.Dense(8, activation="relu")(inputs)
    a = layers.Dense(1, name="reg")(hidden)
    b = layers.Dense(2, activation="softmax", name="cls")(hidden)
    model = keras.Model(inputs, [a, b])
    model.compile(optimizer="adam", loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
                  loss_weights={"reg": 0.5, "cls": 1.0}, metrics={"cls": ["accuracy"]})
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype("float32")
    history = model.fit(x, [x[:, :1], (x[:, 0] > 0).astype("int64")], epochs=2, verbose=0)
    assert {"loss", "reg_loss", "cls_loss", "cls_accuracy"} <= set(history.history)


def test_callbacks_early_stopping_and_learning_rate():
    x, y = _classification_data()
    model = _small_model()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy")
    stopper = keras.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=10.0)
    history = model.fit(x, y, epochs=10, verbose=0, callbacks=[stopper])
    assert len(history.history["loss"]) == 2
    scheduler = keras.callbacks.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))
    model.fit(x, y, epochs=2, verbose=0, callbacks=[scheduler])
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(0.02)


def _default_step_is_eager():
    """True where the default (not jit_compile) step is the step function
    itself, as run_eagerly=True runs it: then the two runs are one code path."""
    def step(data):
        return data

    return B.compile_function(step, [], False) is step


@pytest.mark.skipif(_default_step_is_eager(),
                    reason=f"adapter {B.name!r}: the default step is the eager step itself "
                           "(compile_function returns it unchanged), as run_eagerly=True runs it")
def test_run_eagerly_matches_compiled():
    x, y = _classification_data()
    results = []
    for eager in (False, True):
        model = _small_model()
        model.set_weights(seed_models.seeded_weights(model, 3))
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", run_eagerly=eager)
        model.fit(x, y, epochs=1, batch_size=64, shuffle=False, verbose=0)
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_progress_bar_verbose_2_prints_one_line_per_epoch(capsys):
    x, y = _classification_data(n=64)
    model = _small_model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, verbose=2)
    out = capsys.readouterr().out
    assert out.count("Epoch 1/2") == 1 and out.count("loss:") == 2


def test_native_pipeline_of_the_active_backend():
    """tf.data on TensorFlow, a DataLoader on torch, an iterable of NumPy batches on JAX."""
    x, y = _classification_data(n=128)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        data = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
    elif backend == "torch":
        import torch

        data = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=32)
    else:
        class NumpyBatches:  # any re-iterable of NumPy batches
            def __iter__(self):
                return ((x[i:i + 32], y[i:i + 32]) for i in range(0, 128, 32))

        data = NumpyBatches()
    model = _small_model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(data, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    predictions = model.predict(data, verbose=0)
    assert predictions.shape == (128, 3)
    # The accuracy evaluate reads from the native pipeline is that of its predictions.
    assert model.evaluate(data, verbose=0)[1] == pytest.approx(np.mean(np.argmax(predictions, 1) == y))


def test_pydataset_with_workers_trains_without_materialising():
    x, y = _classification_data(n=128)

    class Lazy(keras.utils.PyDataset):
        def __init__(self):
            super().__init__(workers=2)
            self.reads = 0

        def __len__(self):
            return 4

        def __getitem__(self, index):
            self.reads += 1
            return x[index * 32:(index + 1) * 32], y[index * 32:(index + 1) * 32]

    data = Lazy()
    model = _small_model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(data, epochs=2, verbose=0)
    assert data.reads == 8


@pytest.mark.skipif(B.name == "jax",
                    reason="adapter 'jax': compile_function ignores jit_compile (every step is "
                           "jax.jit), so jit_compile=True and False run one code path")
def test_jit_compile_matches_the_uncompiled_step():
    """jit_compile=True: XLA on TensorFlow, torch.compile on torch, jax.jit always;
    the trained weights match the default step's (no fallback warning)."""
    import warnings

    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype("float32")
    y = rng.standard_normal((64, 2)).astype("float32")
    trained = []
    for jit_compile in (False, True):
        model = keras.Sequential([layers.Dense(8, activation="relu", input_shape=(4,)), layers.Dense(2)])
        model.set_weights([np.full(w.shape, 0.1, "float32") for w in model.weights])
        model.compile(optimizer="adam", loss="mse", jit_compile=jit_compile)
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        trained.append(model.get_weights())
    for a, b in zip(*trained):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


class _BatchLogsReader(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(logs["loss"])


@pytest.mark.parametrize("run_eagerly", [False, True])
def test_epoch_logs_are_the_same_whether_or_not_a_callback_reads_batch_logs(run_eagerly):
    """A step run as Python each step leaves its metric results to the end of
    the epoch when no callback reads a batch's logs; the epoch's logs are the
    same, and a callback that reads them gets every batch's."""
    x, y = _classification_data(n=96)
    histories, calls = [], []
    for reader in (None, _BatchLogsReader()):
        model = _small_model()
        model.set_weights(seed_models.seeded_weights(model, 4))
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"], run_eagerly=run_eagerly)
        counted = []
        results = model.get_metrics_result
        model.get_metrics_result = lambda: counted.append(1) or results()
        history = model.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=0,
                            callbacks=[reader] if reader else None)
        histories.append(history.history)
        calls.append(len(counted))
        if reader is not None:
            assert len(reader.losses) == 6
            assert reader.losses[-1] == pytest.approx(history.history["loss"][-1], rel=1e-6)
    assert histories[0] == histories[1]
    if run_eagerly or _default_step_is_eager():
        # Python run per step: results once per epoch, or at each of 6 steps.
        assert calls == [2, 6]
    else:
        # A compiled step builds its results in its graph either way.
        assert calls[0] == calls[1]


def test_an_overridden_train_step_returns_its_logs_every_step():
    x, y = _classification_data(n=64)

    class Custom(keras.Sequential):
        def train_step(self, data):
            logs = super().train_step(data)
            return {**logs, "doubled": logs["loss"] * 2}

    model = Custom([layers.Dense(3, activation="softmax", input_shape=(8,))])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", run_eagerly=True)
    history = model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    assert history.history["doubled"][0] == pytest.approx(2 * history.history["loss"][0], rel=1e-6)


def test_an_overridden_train_step_leaves_no_graph_values_in_model_losses():
    """A train_step written from scratch (not calling super) on a model whose
    layer calls add_loss: after a compiled fit, ``model.losses`` is readable
    (no JAX tracer or symbolic TF tensor left on the layer)."""
    x, y = _classification_data(n=16)

    class Penalty(layers.Layer):
        def call(self, inputs):
            self.add_loss(0.01 * keras.ops.sum(inputs ** 2))
            return inputs

    class Custom(keras.Model):
        def train_step(self, data):
            x, y, _ = data
            y_pred = self(x, training=True)
            return {"loss": self.compute_loss(x, y, y_pred)}

    inputs = keras.Input((8,))
    model = Custom(inputs, layers.Dense(3, activation="softmax")(Penalty()(inputs)))
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    for loss in model.losses:
        assert np.isfinite(keras.ops.convert_to_numpy(loss))
    model(x[:2])  # an eager call afterwards leaves its own, concrete penalty
    assert len(model.losses) == 1
    expected = 0.01 * np.sum(np.asarray(x[:2], "float64") ** 2)
    assert float(keras.ops.convert_to_numpy(model.losses[0])) == pytest.approx(expected, rel=1e-5)


def test_a_target_network_assigned_from_the_trained_one_keeps_its_weights():
    """``target_var.assign(online_var)`` (a DQN target network), then
    ``online.fit``: the target predicts with the weights it was given (on
    JAX the online step must not donate the array the target holds; Keras 3
    fails here with 'Array has been deleted')."""
    x, y = _classification_data(n=16)

    def mlp():
        return keras.Sequential([layers.Input((8,)), layers.Dense(3, activation="softmax")])

    online, target = mlp(), mlp()
    online.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    for target_weight, online_weight in zip(target.weights, online.weights):
        target_weight.assign(online_weight)
    expected = online.predict(x, verbose=0)
    online.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert not np.allclose(online.predict(x, verbose=0), expected)
    assert_close(target.predict(x, verbose=0), expected)


def test_a_custom_loop_may_call_the_steps_before_fit_builds_them():
    """train_step, compute_loss and compute_metrics build the compiled loss
    and metrics on first use, as in Keras, and check the targets then."""
    x, y = _classification_data(n=16)
    model = keras.Sequential([layers.Dense(3, activation="softmax", input_shape=(8,))])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    before = model.evaluate(x, y, verbose=0)
    fresh = keras.Sequential([layers.Dense(3, activation="softmax", input_shape=(8,))])
    fresh.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    fresh.set_weights(model.get_weights())
    logs = fresh.train_step((x, y, None))
    assert float(logs["loss"]) == pytest.approx(before[0], rel=1e-5)
    assert float(logs["accuracy"]) == pytest.approx(before[1])
    assert not np.allclose(fresh.get_weights()[0], model.get_weights()[0])
    history = fresh.fit(x, y, batch_size=4, verbose=0)  # later calls keep working
    assert np.isfinite(history.history["loss"][0])

    metrics_first = keras.Sequential([layers.Dense(3, activation="softmax", input_shape=(8,))])
    metrics_first.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    result = metrics_first.compute_metrics(x, y, metrics_first(x))
    assert 0.0 <= float(result["accuracy"]) <= 1.0

    mse = keras.Sequential([layers.Dense(3, input_shape=(8,))])
    mse.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"targets of shape \(16, 5\) do not match outputs"):
        mse.compute_loss(x, np.zeros((16, 5), "float32"), mse(x))


def test_a_step_function_made_before_fit_builds_on_its_first_batch():
    """make_train_function / make_test_function asked for before any fit:
    the first call builds the loss and metrics from its batch outside the
    compiled step (whose variables are fixed when it is made), and a later
    fit and evaluate use the step made then."""
    x, y = _classification_data(n=16)
    model = keras.Sequential([layers.Dense(3, activation="softmax", input_shape=(8,))])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    twin = keras.Sequential([layers.Dense(3, activation="softmax", input_shape=(8,))])
    twin.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    twin.set_weights(model.get_weights())
    expected = twin.evaluate(x, y, verbose=0)
    evaluate_step = model.make_test_function()
    logs = evaluate_step((x, y, None))
    assert float(logs["loss"]) == pytest.approx(expected[0], rel=1e-5)
    train_step = model.make_train_function()
    first = float(train_step((x, y, None))["loss"])
    assert first == pytest.approx(expected[0], rel=1e-5)
    assert float(train_step((x, y, None))["loss"]) < first
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]
    assert model.evaluate(x, y, verbose=0)[0] < first
