"""Mirrors Keras 2's ``examples/imdb_bidirectional_lstm.py``.

Keras 2 API exercised: ``Bidirectional(LSTM(64))`` in a ``Sequential``,
``Embedding(..., input_length=maxlen)``, ``compile('adam', 'binary_crossentropy',
metrics=['accuracy'])`` with positional arguments, labels passed through
``np.array``, ``fit(validation_data=[x_test, y_test])`` as a list.
Data: offline stand-in of ``imdb.load_data(num_words=...)``.
"""
from __future__ import print_function

import numpy as np

from kfacade.preprocessing import sequence
from kfacade.models import Sequential
from kfacade.layers import Dense, Dropout, Embedding, LSTM, Bidirectional

import standin_data

max_features = 2000
maxlen = 40
batch_size = 32


def main():
    (x_train, y_train), (x_test, y_test) = standin_data.imdb_load_data(num_words=max_features)
    x_train = sequence.pad_sequences(x_train, maxlen=maxlen)
    x_test = sequence.pad_sequences(x_test, maxlen=maxlen)
    y_train = np.array(y_train)
    y_test = np.array(y_test)

    model = Sequential()
    model.add(Embedding(max_features, 32, input_length=maxlen))
    model.add(Bidirectional(LSTM(16)))
    model.add(Dropout(0.5))
    model.add(Dense(1, activation='sigmoid'))
    model.compile('adam', 'binary_crossentropy', metrics=['accuracy'])

    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=2, verbose=2,
                        validation_data=[x_test, y_test])
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    return {'first_loss': history.history['loss'][0], 'test_loss': loss, 'test_accuracy': acc}


if __name__ == '__main__':
    print(main())
