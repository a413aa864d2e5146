"""Mirrors Keras 2's ``examples/lstm_text_generation.py``: a character-level LSTM
that writes text, sampling the next character with a temperature.

Keras 2 API exercised: one-hot ``np.zeros(..., dtype=bool)`` inputs,
``LSTM(128, input_shape=(maxlen, len(chars)))``, ``RMSprop(lr=0.01)``,
``LambdaCallback(on_epoch_end=...)`` that generates text with
``model.predict(x_pred, verbose=0)[0]`` and a NumPy ``sample(preds, temperature)``.
Data: an offline stand-in corpus (``standin_data.text_corpus``).
"""
from __future__ import print_function

import numpy as np

from kfacade.callbacks import LambdaCallback
from kfacade.models import Sequential
from kfacade.layers import Dense, Activation
from kfacade.layers import LSTM
from kfacade.optimizers import RMSprop

import standin_data

maxlen = 20
step = 6


def sample(preds, temperature=1.0, rng=np.random):
    """Draws an index from a probability array reweighted by `temperature`."""
    preds = np.asarray(preds).astype('float64')
    preds = np.log(preds + 1e-12) / temperature
    exp_preds = np.exp(preds)
    preds = exp_preds / np.sum(exp_preds)
    probas = rng.multinomial(1, preds, 1)
    return np.argmax(probas)


def main():
    rng = np.random.RandomState(7)
    text = standin_data.text_corpus(n_chars=1940)
    print('corpus length:', len(text))
    chars = sorted(list(set(text)))
    print('total chars:', len(chars))
    char_indices = dict((c, i) for i, c in enumerate(chars))
    indices_char = dict((i, c) for i, c in enumerate(chars))

    sentences = []
    next_chars = []
    for i in range(0, len(text) - maxlen, step):
        sentences.append(text[i: i + maxlen])
        next_chars.append(text[i + maxlen])
    print('nb sequences:', len(sentences))

    x = np.zeros((len(sentences), maxlen, len(chars)), dtype=bool)
    y = np.zeros((len(sentences), len(chars)), dtype=bool)
    for i, sentence in enumerate(sentences):
        for t, char in enumerate(sentence):
            x[i, t, char_indices[char]] = 1
        y[i, char_indices[next_chars[i]]] = 1

    model = Sequential()
    model.add(LSTM(64, input_shape=(maxlen, len(chars))))
    model.add(Dense(len(chars)))
    model.add(Activation('softmax'))
    optimizer = RMSprop(lr=0.01)
    model.compile(loss='categorical_crossentropy', optimizer=optimizer)

    generated_texts = {}

    def on_epoch_end(epoch, logs):
        start_index = rng.randint(0, len(text) - maxlen - 1)
        for diversity in [0.2, 1.0]:
            sentence = text[start_index: start_index + maxlen]
            generated = ''
            for _ in range(15):
                x_pred = np.zeros((1, maxlen, len(chars)))
                for t, char in enumerate(sentence):
                    x_pred[0, t, char_indices[char]] = 1.
                preds = model.predict(x_pred, verbose=0)[0]
                next_char = indices_char[sample(preds, diversity, rng)]
                generated += next_char
                sentence = sentence[1:] + next_char
            print('----- diversity:', diversity, repr(generated))
            generated_texts[(epoch, diversity)] = generated

    print_callback = LambdaCallback(on_epoch_end=on_epoch_end)
    history = model.fit(x, y, batch_size=64, epochs=2, verbose=2, callbacks=[print_callback])
    known = all(c in char_indices for g in generated_texts.values() for c in g)
    return {'first_loss': history.history['loss'][0], 'last_loss': history.history['loss'][-1],
            'generated_chars': sum(len(g) for g in generated_texts.values()),
            'all_chars_known': float(known)}


if __name__ == '__main__':
    print(main())
