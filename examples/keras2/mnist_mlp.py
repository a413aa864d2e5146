"""Mirrors Keras 2's ``examples/mnist_mlp.py``: a multilayer perceptron on MNIST.

Keras 2 API exercised: ``Sequential().add`` with ``Dense(input_shape=...)`` and
``Dropout``, ``keras.utils.to_categorical``, ``model.summary()``,
``RMSprop()``, ``compile(metrics=['accuracy'])``, ``fit(validation_data=...)``
returning a ``History``, ``evaluate`` returning ``[loss, accuracy]``.
Data: offline stand-in of ``mnist.load_data()`` (see ``standin_data.py``).
"""
from __future__ import print_function

import kfacade as keras
from kfacade.models import Sequential
from kfacade.layers import Dense, Dropout
from kfacade.optimizers import RMSprop

import standin_data

batch_size = 32
num_classes = 10
epochs = 2


def main():
    (x_train, y_train), (x_test, y_test) = standin_data.mnist_load_data()
    x_train = x_train.reshape(x_train.shape[0], 784).astype('float32') / 255
    x_test = x_test.reshape(x_test.shape[0], 784).astype('float32') / 255
    print(x_train.shape[0], 'train samples')

    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)

    model = Sequential()
    model.add(Dense(128, activation='relu', input_shape=(784,)))
    model.add(Dropout(0.2))
    model.add(Dense(128, activation='relu'))
    model.add(Dropout(0.2))
    model.add(Dense(num_classes, activation='softmax'))
    model.summary()

    model.compile(loss='categorical_crossentropy', optimizer=RMSprop(), metrics=['accuracy'])
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=2,
                        validation_data=(x_test, y_test))
    score = model.evaluate(x_test, y_test, verbose=0)
    print('Test loss:', score[0])
    print('Test accuracy:', score[1])
    return {'first_loss': history.history['loss'][0], 'test_loss': score[0],
            'test_accuracy': score[1]}


if __name__ == '__main__':
    print(main())
