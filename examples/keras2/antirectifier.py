"""Mirrors Keras 2's ``examples/antirectifier.py``: a custom layer subclass.

The ``Antirectifier`` layer centres each sample, L2-normalises it and returns
the concatenation of its positive and negative parts, so its output has twice
as many features as its input.
Keras 2 API exercised: subclassing ``keras.layers.Layer`` with
``compute_output_shape`` and ``call``; ``K.mean(..., keepdims=True)``,
``K.l2_normalize(x, axis=1)``, ``K.relu``, ``K.concatenate([...], axis=1)``,
``inputs -= ...`` inside ``call``; the layer used in a ``Sequential`` between
``Dense`` layers; ``compile(optimizer='rmsprop')`` and ``fit``/``evaluate``.
Data: offline stand-in of ``mnist.load_data()``.
"""
from __future__ import print_function

import kfacade as keras
from kfacade.models import Sequential
from kfacade import layers
from kfacade import backend as K

import standin_data


class Antirectifier(layers.Layer):
    """Returns ``[relu(x), relu(-x)]`` of the centred, unit-norm sample ``x``."""

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        assert len(shape) == 2  # only valid for 2D tensors
        shape[-1] *= 2
        return tuple(shape)

    def call(self, inputs):
        inputs -= K.mean(inputs, axis=1, keepdims=True)
        inputs = K.l2_normalize(inputs, axis=1)
        pos = K.relu(inputs)
        neg = K.relu(-inputs)
        return K.concatenate([pos, neg], axis=1)


batch_size = 32
num_classes = 10
epochs = 2


def main():
    (x_train, y_train), (x_test, y_test) = standin_data.mnist_load_data()
    x_train = x_train.reshape(-1, 784).astype('float32') / 255
    x_test = x_test.reshape(-1, 784).astype('float32') / 255
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)

    model = Sequential()
    model.add(layers.Dense(64, input_shape=(784,)))
    model.add(Antirectifier())
    model.add(layers.Dropout(0.1))
    model.add(layers.Dense(64))
    model.add(Antirectifier())
    model.add(layers.Dropout(0.1))
    model.add(layers.Dense(num_classes))
    model.add(layers.Activation('softmax'))
    model.compile(loss='categorical_crossentropy', optimizer='rmsprop', metrics=['accuracy'])

    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=2,
                        validation_data=(x_test, y_test))
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    return {'first_loss': history.history['loss'][0], 'test_loss': loss, 'test_accuracy': acc,
            'antirectifier_width': model.layers[1].output_shape[-1]}


if __name__ == '__main__':
    print(main())
