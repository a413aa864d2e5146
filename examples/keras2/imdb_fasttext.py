"""Mirrors Keras 2's ``examples/imdb_fasttext.py``: fastText-style bag of n-grams.

The n-gram features are added to the data in NumPy before training: each
bigram of word indices is hashed into one of ``ngram_buckets`` extra indices
above ``max_features`` (the original numbered the bigrams it saw; hashing gives
the same features without a dictionary).
Keras 2 API exercised: ``Embedding(max_features, dims, input_length=maxlen)``,
``GlobalAveragePooling1D``, ``Dense(1, activation='sigmoid')``,
``pad_sequences`` on lists of varying lengths.
Data: offline stand-in of ``imdb.load_data(num_words=...)``.
"""
from __future__ import print_function

import numpy as np

from kfacade.preprocessing import sequence
from kfacade.models import Sequential
from kfacade.layers import Dense, Embedding, GlobalAveragePooling1D

import standin_data

ngram_range = 2
max_features = 2000
ngram_buckets = 4000
maxlen = 200
batch_size = 32
embedding_dims = 16
epochs = 2


def add_hashed_ngrams(sequences, ngram_value=2, first_index=max_features,
                      buckets=ngram_buckets):
    """Appends to each sequence the hashed index of each of its n-grams."""
    out = []
    for seq in sequences:
        seq = np.asarray(seq, dtype='int64')
        if len(seq) >= ngram_value:
            grams = np.stack([seq[i:len(seq) - ngram_value + 1 + i]
                              for i in range(ngram_value)], axis=1)
            hashed = (grams * np.array([1000003, 7919][:ngram_value])).sum(axis=1)
            seq = np.concatenate([seq, first_index + hashed % buckets])
        out.append(seq.tolist())
    return out


def main():
    (x_train, y_train), (x_test, y_test) = standin_data.imdb_load_data(num_words=max_features)
    print('Average train sequence length: {}'.format(np.mean(list(map(len, x_train)), dtype=int)))
    if ngram_range > 1:
        print('Adding {}-gram features'.format(ngram_range))
        x_train = add_hashed_ngrams(x_train, ngram_range)
        x_test = add_hashed_ngrams(x_test, ngram_range)
    input_dim = max_features + ngram_buckets

    x_train = sequence.pad_sequences(x_train, maxlen=maxlen)
    x_test = sequence.pad_sequences(x_test, maxlen=maxlen)

    model = Sequential()
    model.add(Embedding(input_dim, embedding_dims, input_length=maxlen))
    model.add(GlobalAveragePooling1D())
    model.add(Dense(1, activation='sigmoid'))
    model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])

    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=2,
                        validation_data=(x_test, y_test))
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    return {'first_loss': history.history['loss'][0], 'test_loss': loss, 'test_accuracy': acc,
            'max_index': int(max(x_train.max(), x_test.max()))}


if __name__ == '__main__':
    print(main())
