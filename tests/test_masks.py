"""Masks travel with eager tensors (Keras 3): losses and metrics apply them in fit/evaluate.

Checked on every backend against a loss computed by hand over the unmasked
steps only, for a Sequential, a functional and a subclassed model.
"""
import numpy as np
import pytest

import kfacade as keras
from kfacade.engine.masks import get_keras_mask, set_keras_mask

VOCAB, STEPS, CLASSES = 12, 7, 5


def padded_sequences():
    rng = np.random.RandomState(0)
    x = rng.randint(1, VOCAB, (16, STEPS))
    for row in range(16):
        x[row, rng.randint(2, STEPS):] = 0  # right-padded with the mask value 0
    y = rng.randint(0, CLASSES, (16, STEPS))
    return x, y


class Seq2Seq(keras.Model):
    """The same layers as a subclassed model: masks pass between eager calls."""

    def __init__(self):
        super().__init__()
        self.embedding = keras.layers.Embedding(VOCAB, 8, mask_zero=True)
        self.lstm = keras.layers.LSTM(6, return_sequences=True)
        self.classifier = keras.layers.TimeDistributed(keras.layers.Dense(CLASSES, activation="softmax"))

    def call(self, x):
        return self.classifier(self.lstm(self.embedding(x)))


def build(kind):
    keras.utils.set_random_seed(1)
    layers = [keras.layers.Embedding(VOCAB, 8, mask_zero=True),
              keras.layers.LSTM(6, return_sequences=True),
              keras.layers.TimeDistributed(keras.layers.Dense(CLASSES, activation="softmax"))]
    if kind == "sequential":
        return keras.Sequential([keras.layers.Input((STEPS,))] + layers)
    if kind == "functional":
        inputs = keras.Input((STEPS,))
        x = inputs
        for layer in layers:
            x = layer(x)
        return keras.Model(inputs, x)
    return Seq2Seq()


@pytest.mark.parametrize("kind", ["sequential", "functional", "subclassed"])
def test_masked_seq2seq_loss_is_the_loss_over_unmasked_steps(kind):
    x, y = padded_sequences()
    model = build(kind)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    probabilities = model.predict(x, verbose=0)
    valid = x != 0
    picked = np.take_along_axis(probabilities, y[..., None], axis=-1)[..., 0]
    expected_loss = float(np.mean(-np.log(picked[valid])))
    expected_accuracy = float(np.mean((probabilities.argmax(-1) == y)[valid]))
    loss, accuracy = model.evaluate(x, y, batch_size=16, verbose=0)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-5)
    np.testing.assert_allclose(accuracy, expected_accuracy, rtol=1e-6)
    # fit uses the same masked loss: its first step's loss is the one above.
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], expected_loss, rtol=1e-5)


def test_eager_outputs_carry_the_mask():
    x, _ = padded_sequences()
    for kind in ("sequential", "subclassed"):
        outputs = build(kind)(x)
        mask = get_keras_mask(outputs)
        assert mask is not None, kind
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(mask), x != 0)


def test_a_layer_without_masking_passes_no_mask_on():
    x, _ = padded_sequences()
    embedded = keras.layers.Embedding(VOCAB, 4, mask_zero=True)(x)
    assert get_keras_mask(embedded) is not None
    flat = keras.layers.Flatten()(embedded)  # no masking support
    assert get_keras_mask(flat) is None


def test_side_table_for_objects_without_attributes():
    class Slotted:
        __slots__ = ("__weakref__",)

    a, b = Slotted(), Slotted()
    set_keras_mask(a, "mask-a")
    assert get_keras_mask(a) == "mask-a" and get_keras_mask(b) is None
    set_keras_mask(a, None)
    assert get_keras_mask(a) is None
