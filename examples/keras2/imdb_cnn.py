"""Mirrors Keras 2's ``examples/imdb_cnn.py``: sentiment classification with a 1D convnet.

Keras 2 API exercised: ``Embedding(max_features, dims, input_length=maxlen)``,
``Conv1D(filters, kernel_size, padding='valid', activation='relu', strides=1)``,
``GlobalMaxPooling1D``, ``Dropout``, separate ``Activation`` layers,
``pad_sequences``, ``fit(validation_data=...)``.
Data: offline stand-in of ``imdb.load_data(num_words=...)``.
"""
from __future__ import print_function

from kfacade.preprocessing import sequence
from kfacade.models import Sequential
from kfacade.layers import Dense, Dropout, Activation
from kfacade.layers import Embedding
from kfacade.layers import Conv1D, GlobalMaxPooling1D

import standin_data

max_features = 2000
maxlen = 100
batch_size = 32
embedding_dims = 16
filters = 32
kernel_size = 3
hidden_dims = 32
epochs = 2


def main():
    (x_train, y_train), (x_test, y_test) = standin_data.imdb_load_data(num_words=max_features)
    x_train = sequence.pad_sequences(x_train, maxlen=maxlen)
    x_test = sequence.pad_sequences(x_test, maxlen=maxlen)
    print('x_train shape:', x_train.shape)

    model = Sequential()
    model.add(Embedding(max_features, embedding_dims, input_length=maxlen))
    model.add(Dropout(0.2))
    model.add(Conv1D(filters, kernel_size, padding='valid', activation='relu', strides=1))
    model.add(GlobalMaxPooling1D())
    model.add(Dense(hidden_dims))
    model.add(Dropout(0.2))
    model.add(Activation('relu'))
    model.add(Dense(1))
    model.add(Activation('sigmoid'))

    model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=2,
                        validation_data=(x_test, y_test))
    score, acc = model.evaluate(x_test, y_test, verbose=0)
    return {'first_loss': history.history['loss'][0], 'test_loss': score, 'test_accuracy': acc}


if __name__ == '__main__':
    print(main())
