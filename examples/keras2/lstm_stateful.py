"""Mirrors Keras 2's ``examples/stateful_lstm.py`` / ``lstm_stateful.py``: a
stateful LSTM that carries its state across batches of a long noisy signal.

Keras 2 API exercised: ``LSTM(..., batch_input_shape=(batch_size, tsteps, 1),
return_sequences=..., stateful=True)`` stacked in a ``Sequential``,
``compile(loss='mse', optimizer='rmsprop')``, a manual epoch loop of
``fit(..., epochs=1, shuffle=False)`` followed by ``model.reset_states()``,
and ``predict(x, batch_size=batch_size)``.
Data: generated in the program (a damped cosine with noise, as in the original).
"""
from __future__ import print_function

import numpy as np

from kfacade.models import Sequential
from kfacade.layers import Dense, LSTM

tsteps = 1
batch_size = 16
epochs = 2
lahead = 1


def gen_cosine_amp(amp=100, period=25, x0=0, xn=256, step=1, k=0.0001, rng=np.random):
    """A cosine whose amplitude decays exponentially, plus noise."""
    cos = np.zeros(((xn - x0) * step, 1, 1))
    for i in range(len(cos)):
        idx = x0 + i * step
        cos[i, 0, 0] = amp * np.cos(2 * np.pi * idx / period)
        cos[i, 0, 0] = cos[i, 0, 0] * np.exp(-k * idx)
    return cos + rng.normal(0, 1, cos.shape)


def main():
    rng = np.random.RandomState(9)
    cos = gen_cosine_amp(rng=rng) / 100.
    print('Input shape:', cos.shape)
    expected_output = np.zeros((len(cos), 1))
    for i in range(len(cos) - lahead):
        expected_output[i, 0] = np.mean(cos[i + 1:i + lahead + 1])

    model = Sequential()
    model.add(LSTM(16, batch_input_shape=(batch_size, tsteps, 1),
                   return_sequences=True, stateful=True))
    model.add(LSTM(16, return_sequences=False, stateful=True))
    model.add(Dense(1))
    model.compile(loss='mse', optimizer='rmsprop')

    losses = []
    for i in range(epochs):
        print('Epoch', i, '/', epochs)
        history = model.fit(cos, expected_output, batch_size=batch_size, verbose=2, epochs=1,
                            shuffle=False)
        losses.append(history.history['loss'][0])
        model.reset_states()

    predicted_output = model.predict(cos, batch_size=batch_size)
    # State carries across predict calls until reset_states(): the same batch
    # twice gives different outputs, and the same again after a reset.
    first = model.predict(cos[:batch_size], batch_size=batch_size)
    model.reset_states()
    again = model.predict(cos[:batch_size], batch_size=batch_size)
    model.reset_states()
    fresh = model.predict(cos[:batch_size], batch_size=batch_size)
    return {'first_loss': losses[0], 'last_loss': losses[-1],
            'predicted_mse': float(np.mean((predicted_output - expected_output) ** 2)),
            'reset_gap': float(np.abs(again - fresh).max()),
            'carry_gap': float(np.abs(first - again).max())}


if __name__ == '__main__':
    print(main())
