"""``kfacade.random``'s samplers beyond uniform and normal: their
distributions (fixed seeds, large samples, bounds stated per check), their
seeds (an int repeats, a SeedGenerator advances) and their use inside a
compiled training step."""
import math

import numpy as np
import pytest

import kfacade
from kfacade import ops, random

N = 20000


def numpy_of(x):
    return np.asarray(ops.convert_to_numpy(x))


def test_truncated_normal_is_a_normal_cut_at_two_deviations():
    values = numpy_of(random.truncated_normal((N,), mean=1.0, stddev=3.0, seed=1))
    assert values.dtype == np.float32
    assert values.min() >= 1.0 - 6.0 and values.max() <= 1.0 + 6.0
    # N(0, 1) cut at +-2 has standard deviation 0.8796 (Keras's initializers divide by it).
    # Standard errors at N = 20000: 0.021 for the mean, about 0.015 for the deviation.
    assert abs(values.mean() - 1.0) < 0.1 and abs(values.std() - 3.0 * 0.87962566) < 0.06
    # Beyond one (uncut) deviation: (0.9545 - 0.6827) / 0.9545 = 0.2848 of the cut normal's mass.
    assert abs(np.mean(np.abs(values - 1.0) > 3.0) - 0.2852) < 0.02


def test_randint_covers_the_range_uniformly():
    values = numpy_of(random.randint((N,), minval=-3, maxval=4, seed=2))
    assert values.dtype == np.int32 and values.min() == -3 and values.max() == 3
    counts = np.bincount(values + 3, minlength=7) / N
    assert np.abs(counts - 1 / 7).max() < 0.015  # 3 standard errors
    assert numpy_of(random.randint((3,), 0, 5, dtype="int64", seed=2)).dtype.kind == "i"
    with pytest.raises(ValueError, match="maxval > minval"):
        random.randint((2,), 3, 3)


def test_categorical_draws_with_softmax_probabilities():
    probabilities = np.array([[0.1, 0.6, 0.3], [0.8, 0.1, 0.1]])
    draws = numpy_of(random.categorical(np.log(probabilities), N // 4, seed=3))
    assert draws.shape == (2, N // 4) and draws.dtype == np.int32
    for row, expected in zip(draws, probabilities):
        assert np.abs(np.bincount(row, minlength=3) / row.size - expected).max() < 0.03
    with pytest.raises(ValueError, match="2-D tensor"):
        random.categorical(np.zeros(3), 2)


def test_shuffle_permutes_along_the_axis():
    x = np.arange(40, dtype=np.float32).reshape(8, 5)
    rows = numpy_of(random.shuffle(x, seed=4))
    assert sorted(map(tuple, rows)) == sorted(map(tuple, x)) and not np.array_equal(rows, x)
    cols = numpy_of(random.shuffle(x, axis=1, seed=4))
    assert (np.sort(cols, axis=1) == x).all()


def test_dropout_zeroes_and_rescales():
    values = numpy_of(random.dropout(np.ones((N,), np.float32), 0.25, seed=5))
    assert set(np.unique(values)) <= {0.0, np.float32(1 / 0.75)}
    assert abs(np.mean(values == 0.0) - 0.25) < 0.02


@pytest.mark.parametrize("draw", [
    lambda seed: random.truncated_normal((6,), seed=seed),
    lambda seed: random.randint((6,), 0, 100, seed=seed),
    lambda seed: random.categorical(np.zeros((1, 50)), 6, seed=seed),
    lambda seed: random.shuffle(np.arange(6), seed=seed),
])
def test_an_int_seed_repeats_and_a_generator_advances(draw):
    np.testing.assert_array_equal(numpy_of(draw(7)), numpy_of(draw(7)))
    generator = random.SeedGenerator(7)
    assert not np.array_equal(numpy_of(draw(generator)), numpy_of(draw(generator)))


class _NoisyLayer(kfacade.layers.Layer):
    """Adds truncated-normal noise in training, seeded by its own generator."""

    def __init__(self):
        super().__init__()
        self.seed_generator = random.SeedGenerator(0)

    def call(self, x, training=None):
        if training:
            x = ops.add(x, random.truncated_normal(ops.shape(x), stddev=0.01, seed=self.seed_generator))
        return x


def test_samplers_run_inside_the_compiled_step():
    model = kfacade.Sequential([kfacade.Input((3,)), _NoisyLayer(), kfacade.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((16, 3), np.float32), np.zeros((16, 1), np.float32)
    history = model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    assert all(math.isfinite(v) for v in history.history["loss"])
    assert history.history["loss"][-1] < history.history["loss"][0]
