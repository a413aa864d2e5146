"""``kfacade.random.gamma``, ``beta`` and ``binomial``: their moments (a
fixed seed, N draws, each bound stated below), shapes, dtypes and parameter
broadcasting, their seeds (an int repeats, a SeedGenerator advances), and
a Beta draw inside a compiled ``fit`` (MixUp's use). Restoring a
generator's state rewinds any sampler: ``tests/test_seeds_and_state.py``."""
import math

import numpy as np
import pytest

import kfacade
from kfacade import ops, random

N = 4000
#: Bound on a sample mean's error: 5 standard errors, sqrt(var / N) each
#: (a false failure about once in 1.7 million runs of a test).
SIGMAS = 5.0
#: Every draw has N entries in one of two shapes: JAX compiles its gamma and
#: binomial samplers once per shape (seconds each), and ``beta((N // 2, 2))``
#: draws ``gamma((2, N // 2, 2))``... so gamma draws that shape too.
SHAPE = (N // 2, 2)
GAMMA_SHAPE = (2,) + SHAPE


def numpy_of(x):
    return np.asarray(ops.convert_to_numpy(x), dtype="float64")


def assert_moments(sample, mean, variance, fourth_central=None):
    """The sample mean within SIGMAS standard errors of `mean`; the sample
    variance within SIGMAS standard errors of `variance` (the variance of
    the sample variance is (mu4 - var**2) / N; mu4 is 3 var**2 unless given)."""
    mu4 = 3.0 * variance**2 if fourth_central is None else fourth_central
    assert abs(sample.mean() - mean) <= SIGMAS * math.sqrt(variance / sample.size), (sample.mean(), mean)
    bound = SIGMAS * math.sqrt(max(mu4 - variance**2, 1e-12) / sample.size)
    assert abs(sample.var() - variance) <= bound, (sample.var(), variance, bound)


@pytest.mark.parametrize("alpha", [0.5, 4.0])
def test_gamma_has_mean_and_variance_alpha(alpha):
    sample = numpy_of(random.gamma(GAMMA_SHAPE, alpha, seed=11))[0]
    assert (sample > 0).all()
    # Gamma(alpha): mean = variance = alpha, fourth central moment 3 alpha (alpha + 2).
    assert_moments(sample, alpha, alpha, fourth_central=3 * alpha * (alpha + 2))


def test_beta_matches_its_moments_for_mixup_parameters():
    a, b = 0.4, 0.6
    sample = numpy_of(random.beta(SHAPE, a, b, seed=12))
    assert ((sample >= 0) & (sample <= 1)).all()
    mean = a / (a + b)
    variance = a * b / ((a + b) ** 2 * (a + b + 1))
    # On [0, 1] the fourth central moment is at most the variance.
    assert_moments(sample, mean, variance, fourth_central=variance)


def test_binomial_matches_its_moments_and_counts():
    counts, p = 10, 0.3
    sample = numpy_of(random.binomial(SHAPE, counts, p, seed=13))
    assert np.array_equal(sample, np.round(sample)) and sample.min() >= 0 and sample.max() <= counts
    variance = counts * p * (1 - p)
    # Binomial fourth central moment: n p q (1 + 3 (n - 2) p q).
    assert_moments(sample, counts * p, variance,
                   fourth_central=variance * (1 + 3 * (counts - 2) * p * (1 - p)))


def test_parameters_broadcast_per_entry():
    alpha = np.array([1.0, 50.0], "float32")
    means = numpy_of(random.gamma(GAMMA_SHAPE, alpha, seed=3)).reshape(-1, 2).mean(axis=0)
    np.testing.assert_allclose(means, alpha, rtol=SIGMAS / math.sqrt(N))  # sd / mean = 1 / sqrt(alpha)
    counts, p = np.array([0.0, 5.0], "float32"), np.array([[0.5, 1.0]], "float32")
    draws = numpy_of(random.binomial(SHAPE, counts, p, seed=4))
    np.testing.assert_array_equal(draws, np.broadcast_to([0.0, 5.0], SHAPE))
    lam = numpy_of(random.beta(SHAPE, np.array([1.0, 9.0]), 1.0, seed=5)).mean(axis=0)
    # Beta(a, 1) has mean a / (a + 1) and variance at most 1/12.
    np.testing.assert_allclose(lam, [0.5, 0.9], atol=SIGMAS * math.sqrt(1 / 12 / (N // 2)))
    with pytest.raises(ValueError, match="broadcast"):
        random.gamma(SHAPE, np.ones(3), seed=1)


@pytest.mark.parametrize("draw", [
    lambda seed, dtype=None: random.gamma(GAMMA_SHAPE, 2.0, dtype=dtype, seed=seed),
    lambda seed, dtype=None: random.beta(SHAPE, 2.0, 3.0, dtype=dtype, seed=seed),
    lambda seed, dtype=None: random.binomial(SHAPE, 7, 0.5, dtype=dtype, seed=seed),
], ids=["gamma", "beta", "binomial"])
def test_shapes_dtypes_and_seeds(draw):
    x = draw(1)
    assert tuple(ops.shape(x)) in (SHAPE, GAMMA_SHAPE) and ops.dtype(x) == kfacade.config.floatx()
    assert ops.dtype(draw(1, "float16")) == "float16"
    np.testing.assert_array_equal(numpy_of(draw(7)), numpy_of(draw(7)))  # an int seed repeats
    generator = random.SeedGenerator(7)
    assert not np.array_equal(numpy_of(draw(generator)), numpy_of(draw(generator)))
    with pytest.raises(ValueError, match="floating point"):
        draw(1, "int32")


class _MixUpLike(kfacade.layers.Layer):
    """Scales its input by a Beta draw per sample while training (MixUp's use)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = random.SeedGenerator(9)

    def call(self, x, training=False):
        if training:
            lam = random.beta((ops.shape(x)[0], 1), 0.2, 0.2, seed=self.seed_generator)
            x = ops.multiply(x, ops.add(0.5, ops.multiply(0.5, lam)))
        return x


def test_beta_runs_inside_a_compiled_fit():
    """MixUp's use: a Beta draw per step from the layer's SeedGenerator, whose
    state the compiled step carries (it advances once per step)."""
    layer = _MixUpLike()
    model = kfacade.Sequential([kfacade.Input((3,)), layer, kfacade.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((16, 3), np.float32), np.zeros((16, 1), np.float32)
    before = layer.seed_generator.state.numpy().copy()
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert all(math.isfinite(v) for v in history.history["loss"])
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert int(layer.seed_generator.state.numpy()[0]) - int(before[0]) == 6  # 2 steps x 3 epochs
