"""Mirrors Keras 2's ``examples/addition_rnn.py``: a sequence-to-sequence LSTM that
learns to add two numbers given as strings ("535+61" -> "596").

Keras 2 API exercised: ``from keras import layers`` with ``RNN = layers.LSTM``,
an encoder ``LSTM(input_shape=(MAXLEN, len(chars)))``, ``layers.RepeatVector``,
a decoder ``LSTM(return_sequences=True)``,
``layers.TimeDistributed(layers.Dense(..., activation='softmax'))``,
``fit`` on bool one-hot arrays, ``model.predict_classes(rowx, verbose=0)``
(Keras 2's Sequential method) decoded back to characters.
Data: generated in the program, as in the original.
"""
from __future__ import print_function

import numpy as np

from kfacade.models import Sequential
from kfacade import layers


class CharacterTable(object):
    """One-hot encodes strings over a fixed character set, and decodes back."""

    def __init__(self, chars):
        self.chars = sorted(set(chars))
        self.char_indices = dict((c, i) for i, c in enumerate(self.chars))
        self.indices_char = dict((i, c) for i, c in enumerate(self.chars))

    def encode(self, C, num_rows):
        x = np.zeros((num_rows, len(self.chars)))
        for i, c in enumerate(C):
            x[i, self.char_indices[c]] = 1
        return x

    def decode(self, x, calc_argmax=True):
        if calc_argmax:
            x = x.argmax(axis=-1)
        return ''.join(self.indices_char[x] for x in x)


TRAINING_SIZE = 320
DIGITS = 2
REVERSE = True
MAXLEN = DIGITS + 1 + DIGITS
HIDDEN_SIZE = 32
BATCH_SIZE = 32
LAYERS = 1


def main():
    chars = '0123456789+ '
    ctable = CharacterTable(chars)
    rng = np.random.RandomState(11)

    questions = []
    expected = []
    seen = set()
    print('Generating data...')
    while len(questions) < TRAINING_SIZE:
        f = lambda: int(''.join(rng.choice(list('0123456789'))
                                for i in range(rng.randint(1, DIGITS + 1))))
        a, b = f(), f()
        key = tuple(sorted((a, b)))
        if key in seen:
            continue
        seen.add(key)
        q = '{}+{}'.format(a, b)
        query = q + ' ' * (MAXLEN - len(q))
        ans = str(a + b)
        ans += ' ' * (DIGITS + 1 - len(ans))
        if REVERSE:
            query = query[::-1]
        questions.append(query)
        expected.append(ans)
    print('Total addition questions:', len(questions))

    x = np.zeros((len(questions), MAXLEN, len(chars)), dtype=bool)
    y = np.zeros((len(questions), DIGITS + 1, len(chars)), dtype=bool)
    for i, sentence in enumerate(questions):
        x[i] = ctable.encode(sentence, MAXLEN)
    for i, sentence in enumerate(expected):
        y[i] = ctable.encode(sentence, DIGITS + 1)

    indices = np.arange(len(y))
    rng.shuffle(indices)
    x = x[indices]
    y = y[indices]
    split_at = len(x) - len(x) // 10
    (x_train, x_val) = x[:split_at], x[split_at:]
    (y_train, y_val) = y[:split_at], y[split_at:]

    RNN = layers.LSTM
    model = Sequential()
    model.add(RNN(HIDDEN_SIZE, input_shape=(MAXLEN, len(chars))))
    model.add(layers.RepeatVector(DIGITS + 1))
    for _ in range(LAYERS):
        model.add(RNN(HIDDEN_SIZE, return_sequences=True))
    model.add(layers.TimeDistributed(layers.Dense(len(chars), activation='softmax')))
    model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
    model.summary()

    history = model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=2, verbose=2,
                        validation_data=(x_val, y_val))
    decoded = []
    for i in range(3):
        ind = rng.randint(0, len(x_val))
        rowx, rowy = x_val[np.array([ind])], y_val[np.array([ind])]
        preds = model.predict_classes(rowx, verbose=0)
        q = ctable.decode(rowx[0])
        correct = ctable.decode(rowy[0])
        guess = ctable.decode(preds[0], calc_argmax=False)
        print('Q', q[::-1] if REVERSE else q, 'T', correct, 'guess', guess)
        decoded.append(guess)
    return {'first_loss': history.history['loss'][0], 'last_loss': history.history['loss'][-1],
            'val_accuracy': history.history['val_accuracy'][-1],
            'decoded_length': float(np.mean([len(g) for g in decoded]))}


if __name__ == '__main__':
    print(main())
