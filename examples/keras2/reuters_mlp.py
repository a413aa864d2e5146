"""Mirrors Keras 2's ``examples/reuters_mlp.py``: topic classification of newswires.

Keras 2 API exercised: ``Tokenizer(num_words=...)`` and
``tokenizer.sequences_to_matrix(x, mode='binary')`` turning word-index lists
into bag-of-words rows, ``keras.utils.to_categorical`` with ``np.max(y) + 1``
classes, ``Sequential().add`` with ``Activation`` layers, ``fit(validation_split=0.1)``.
Data: offline stand-in of ``reuters.load_data(num_words=..., test_split=0.2)``.
"""
from __future__ import print_function

import numpy as np
import kfacade as keras
from kfacade.models import Sequential
from kfacade.layers import Dense, Dropout, Activation
from kfacade.preprocessing.text import Tokenizer

import standin_data

max_words = 1000
batch_size = 32
epochs = 2


def main():
    print('Loading data...')
    (x_train, y_train), (x_test, y_test) = standin_data.reuters_load_data(num_words=max_words)
    num_classes = np.max(y_train) + 1
    print(num_classes, 'classes')

    print('Vectorizing sequence data...')
    tokenizer = Tokenizer(num_words=max_words)
    x_train = tokenizer.sequences_to_matrix(x_train, mode='binary')
    x_test = tokenizer.sequences_to_matrix(x_test, mode='binary')
    print('x_train shape:', x_train.shape)

    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)

    model = Sequential()
    model.add(Dense(128, input_shape=(max_words,)))
    model.add(Activation('relu'))
    model.add(Dropout(0.5))
    model.add(Dense(num_classes))
    model.add(Activation('softmax'))
    model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])

    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=2,
                        validation_split=0.1)
    score = model.evaluate(x_test, y_test, batch_size=batch_size, verbose=0)
    print('Test score:', score[0])
    print('Test accuracy:', score[1])
    return {'first_loss': history.history['loss'][0],
            'val_loss': history.history['val_loss'][-1],
            'test_loss': score[0], 'test_accuracy': score[1]}


if __name__ == '__main__':
    print(main())
