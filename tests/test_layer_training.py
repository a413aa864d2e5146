"""Conv and recurrent networks train to an accuracy target on the active backend;
regularizers and constraints act through fit."""
import numpy as np
import pytest

import kfacade as keras
from kfacade import layers


@pytest.mark.slow
def test_digits_cnn_reaches_095():
    """Conv2D-Conv2D-MaxPool-Dropout-Flatten-Dense on real 8x8 digits."""
    keras.utils.set_random_seed(3)
    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    x_train = x_train[..., None].astype("float32") / 16.0
    x_test = x_test[..., None].astype("float32") / 16.0
    model = keras.Sequential([
        keras.Input(shape=(8, 8, 1)),
        layers.Conv2D(16, 3, activation="relu", padding="same"),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=64, epochs=12, verbose=0)
    assert model.evaluate(x_test, y_test, verbose=0)[1] >= 0.95


def _sequence_task(n, length=12, vocab=20, seed=0):
    """Left-padded token sequences; the label says whether token 1 occurs."""
    rng = np.random.default_rng(seed)
    sequences, labels = [], []
    for i in range(n):
        size = rng.integers(4, length + 1)
        tokens = rng.integers(2, vocab, size)
        label = i % 2
        if label:
            tokens[rng.integers(0, size)] = 1
        sequences.append(tokens.tolist())
        labels.append(label)
    x = keras.preprocessing.sequence.pad_sequences(sequences, maxlen=length)
    return x, np.array(labels, dtype="float32")


@pytest.mark.slow
def test_embedding_mask_zero_lstm_classifier_learns():
    keras.utils.set_random_seed(5)
    x, y = _sequence_task(600)
    x_test, y_test = _sequence_task(200, seed=1)
    model = keras.Sequential([
        keras.Input(shape=(12,), dtype="int32"),
        layers.Embedding(20, 16, mask_zero=True),
        layers.LSTM(16),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=8, verbose=0)
    assert model.evaluate(x_test, y_test, verbose=0)[1] >= 0.85


@pytest.mark.parametrize("constraint", ["non_neg", keras.constraints.MaxNorm(0.5), "unit_norm"])
def test_constraints_hold_after_fit(constraint):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype("float32")
    y = rng.standard_normal((64, 3)).astype("float32")
    layer = layers.Dense(3, kernel_constraint=constraint, input_shape=(4,))
    model = keras.Sequential([layer])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    kernel = layer.get_weights()[0]
    norms = np.sqrt((kernel ** 2).sum(axis=0))
    if constraint == "non_neg":
        assert kernel.min() >= 0
    elif constraint == "unit_norm":
        np.testing.assert_allclose(norms, 1.0, rtol=1e-5)
    else:
        assert norms.max() <= 0.5 + 1e-5


@pytest.mark.parametrize("regularizer,penalty", [
    ("l1", lambda k: 0.01 * np.abs(k).sum()),
    ("l2", lambda k: 0.01 * (k ** 2).sum()),
    (keras.regularizers.l1_l2(l1=0.1, l2=0.2), lambda k: 0.1 * np.abs(k).sum() + 0.2 * (k ** 2).sum()),
])
def test_regularizers_enter_the_training_loss(regularizer, penalty):
    x = np.ones((8, 2), "float32")
    y = np.zeros((8, 1), "float32")
    layer = layers.Dense(1, use_bias=False, kernel_regularizer=regularizer, input_shape=(2,))
    model = keras.Sequential([layer])
    model.compile(optimizer="sgd", loss="mse")
    kernel = layer.get_weights()[0]
    mse = float(((x @ kernel - y) ** 2).mean())
    assert model.evaluate(x, y, verbose=0) == pytest.approx(mse + penalty(kernel), rel=1e-5)


def _orthogonal_penalty(kernel, factor, mode):
    """Keras's OrthogonalRegularizer in NumPy: factor * mean |cos| over pairs of rows (columns)."""
    m = kernel if mode == "rows" else kernel.T
    m = m / np.sqrt(np.maximum((m.astype(np.float64) ** 2).sum(axis=1, keepdims=True), 1e-12))
    size = m.shape[0]
    off_diagonal = (m @ m.T) * (1 - np.eye(size))
    return factor * 0.5 * np.abs(off_diagonal).sum() / (size * (size - 1) / 2)


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_orthogonal_regularizer_enters_the_training_loss(mode):
    x = np.linspace(-1, 1, 24, dtype="float32").reshape(8, 3)
    y = np.zeros((8, 4), "float32")
    regularizer = keras.regularizers.OrthogonalRegularizer(factor=0.3, mode=mode)
    layer = layers.Dense(4, use_bias=False, kernel_regularizer=regularizer, input_shape=(3,))
    model = keras.Sequential([layer])
    model.compile(optimizer="sgd", loss="mse")
    kernel = layer.get_weights()[0]
    mse = float(((x @ kernel - y) ** 2).mean())
    assert model.evaluate(x, y, verbose=0) == pytest.approx(
        mse + _orthogonal_penalty(kernel, 0.3, mode), rel=1e-5)
    assert keras.regularizers.get("orthogonal_regularizer").get_config() == {"factor": 0.01, "mode": "rows"}
    with pytest.raises(ValueError, match="Expected one of"):
        keras.regularizers.OrthogonalRegularizer(mode="diagonal")
    with pytest.raises(ValueError, match="must have rank 2"):
        regularizer(np.ones((2, 2, 2), "float32"))
