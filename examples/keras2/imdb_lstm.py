"""Mirrors Keras 2's ``examples/imdb_lstm.py``: sentiment classification with an LSTM.

Keras 2 API exercised: ``keras.preprocessing.sequence.pad_sequences`` on lists
of word indices, ``Embedding(max_features, 128)``,
``LSTM(dropout=..., recurrent_dropout=...)``, ``Dense(1, activation='sigmoid')``,
``compile(loss='binary_crossentropy', optimizer='adam')``, ``fit`` and
``evaluate(batch_size=...)``.
Data: offline stand-in of ``imdb.load_data(num_words=...)``.
"""
from __future__ import print_function

from kfacade.preprocessing import sequence
from kfacade.models import Sequential
from kfacade.layers import Dense, Embedding
from kfacade.layers import LSTM

import standin_data

max_features = 2000
maxlen = 40
batch_size = 32


def main():
    print('Loading data...')
    (x_train, y_train), (x_test, y_test) = standin_data.imdb_load_data(num_words=max_features)
    print(len(x_train), 'train sequences')
    x_train = sequence.pad_sequences(x_train, maxlen=maxlen)
    x_test = sequence.pad_sequences(x_test, maxlen=maxlen)
    print('x_train shape:', x_train.shape)

    model = Sequential()
    model.add(Embedding(max_features, 32))
    model.add(LSTM(32, dropout=0.2, recurrent_dropout=0.2))
    model.add(Dense(1, activation='sigmoid'))
    model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])

    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=2, verbose=2,
                        validation_data=(x_test, y_test))
    score, acc = model.evaluate(x_test, y_test, batch_size=batch_size, verbose=0)
    print('Test score:', score)
    print('Test accuracy:', acc)
    return {'first_loss': history.history['loss'][0], 'test_loss': score, 'test_accuracy': acc}


if __name__ == '__main__':
    print(main())
