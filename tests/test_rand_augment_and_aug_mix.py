"""RandAugment and AugMix: identity outside training, shapes, dtypes and value
range, seeded draws, forced operation lists against NumPy references, the
per-image choice, configs and errors, and a compiled ``fit``.

The colour tests' image shape (JAX compiles each op once per shape) and
small policies: every candidate operation runs on the whole batch. The full
operation lists run in one compiled function; the other checks force short
lists through subclasses.
"""
import json

import numpy as np
import pytest

import kfacade
from kfacade import layers, ops
from kfacade.backend import adapter as B
from kfacade.backend.dtypes import standardize_dtype

try:
    from tests.helpers import assert_close
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import assert_close

SHAPE = (4, 4, 4, 3)


def _numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def _auto_contrast(images, high=255.0):
    """Per image and channel, min -> 0 and max -> `high` (a constant channel stays)."""
    low_v = images.min(axis=(1, 2), keepdims=True)
    high_v = images.max(axis=(1, 2), keepdims=True)
    spread = np.where(high_v > low_v, high_v - low_v, 1.0)
    return np.where(high_v > low_v, (images - low_v) / spread * high, images)


def _invert(images):
    return 255.0 - images


@pytest.fixture
def pixels(rng):
    return rng.uniform(0, 255, SHAPE).astype("float32")


class _AutoContrastOnly(layers.RandAugment):
    _OPERATIONS = ("auto_contrast",)


class _TwoFixedOps(layers.RandAugment):
    # Solarization at factor 0 (addition and threshold 0) inverts every pixel.
    _OPERATIONS = ("auto_contrast", "solarization")


class _AutoContrastMix(layers.AugMix):
    _BASE_OPERATIONS = ("auto_contrast",)


@pytest.mark.parametrize("cls", [layers.RandAugment, layers.AugMix])
def test_identity_outside_training(cls, pixels):
    images = pixels.astype("uint8")
    outputs = cls(seed=1)(images, training=False)
    assert standardize_dtype(ops.dtype(outputs)) == "float32"
    np.testing.assert_array_equal(_numpy(outputs), images.astype("float32"))


def test_full_policies_in_a_compiled_function(pixels):
    """Every operation, traced once (op-by-op JAX would compile each op)."""
    policy = layers.RandAugment(num_ops=1, seed=5)
    mix = layers.AugMix(num_chains=1, chain_depth=1, seed=5)
    states = [policy.generator.state, mix.generator.state]
    initial = [state.numpy() for state in states]
    step = B.compile_function(lambda data: {"policy": policy(data, training=True),
                                            "mix": mix(data, training=True)}, states, "auto")
    data = B.convert_to_tensor(pixels)
    first = {key: _numpy(value) for key, value in step(data).items()}
    for outputs in first.values():
        assert outputs.shape == SHAPE and outputs.dtype == np.float32
        assert outputs.min() >= -1e-3 and outputs.max() <= 255.0 + 1e-3
        assert not np.allclose(outputs, pixels)
    second = step(data)
    assert not np.allclose(_numpy(second["policy"]), first["policy"])  # the stream moves on
    for state, value in zip(states, initial):
        state.assign(value)
    again = step(data)
    for key in first:  # the same seed state draws the same augmentations
        np.testing.assert_allclose(_numpy(again[key]), first[key], rtol=1e-5, atol=1e-3)


def test_unbatched_image(pixels):
    single = _numpy(_AutoContrastOnly(value_range=(0, 1), num_ops=1)(pixels[0] / 255.0))
    assert single.shape == SHAPE[1:]
    assert_close(single, _auto_contrast(pixels[:1] / 255.0, high=1.0)[0], atol=1e-5)


def test_rand_augment_forced_operations_match_numpy(pixels):
    layer = _AutoContrastOnly(num_ops=2, seed=0)
    assert_close(layer(pixels), _auto_contrast(_auto_contrast(pixels)), atol=1e-3)
    # Two deterministic operations: each image takes one of them, on its own.
    layer = _TwoFixedOps(num_ops=1, factor=0.0, seed=3)
    chosen = np.concatenate([_numpy(layer(pixels)) for _ in range(4)])
    batch = np.concatenate([pixels] * 4)
    as_contrast = np.isclose(chosen, _auto_contrast(batch), atol=1e-2).all(axis=(1, 2, 3))
    as_inverse = np.isclose(chosen, _invert(batch), atol=1e-2).all(axis=(1, 2, 3))
    assert (as_contrast | as_inverse).all()
    assert as_contrast.any() and as_inverse.any()  # chance of failing: 2 ** -15


def test_aug_mix_forced_operation_blends_towards_it(pixels):
    layer = _AutoContrastMix(num_chains=2, chain_depth=1, all_ops=False, seed=4)
    mixed = _numpy(layer(pixels))
    # Each chain is x or autocontrast(x), so the output is x + t * (ac(x) - x), t in [0, 1].
    direction = _auto_contrast(pixels) - pixels
    t = (np.sum((mixed - pixels) * direction, axis=(1, 2, 3))
         / np.sum(direction * direction, axis=(1, 2, 3)))
    assert ((t >= -1e-4) & (t <= 1 + 1e-4)).all()
    assert_close(mixed, pixels + t[:, None, None, None] * direction, atol=1e-2)


def test_configs_and_errors():
    policy = layers.RandAugment(value_range=(0, 1), num_ops=3, factor=(0.6, 0.2), seed=7,
                                interpolation="nearest")
    assert policy.factor == (0.2, 0.6)
    assert policy.random_posterization.factor == (1, 4)  # max(1, int(8 * 0.6)) bits
    assert policy.random_rotation.interpolation == "nearest"
    mix = layers.AugMix(factor=0.4, alpha=0.5, all_ops=False, num_chains=2)
    assert mix.factor == (0, 0.4)
    for layer in (policy, mix):
        config = json.loads(json.dumps(layer.get_config()))
        assert type(layer).from_config(config).get_config() == config
    for cls in (layers.RandAugment, layers.AugMix):
        with pytest.raises(ValueError, match="range \\[0, 1"):
            cls(factor=1.5)
        with pytest.raises(ValueError, match="input_number=-0.5"):
            cls(factor=(-0.5, 0.5))
        with pytest.raises(ValueError, match="value_range"):
            cls(value_range=(0, 1, 2))
        with pytest.raises(NotImplementedError, match="interpolation"):
            cls(interpolation="bicubic")


def test_both_train_in_a_compiled_step(rng):
    images = rng.uniform(0, 1, SHAPE).astype("float32")
    targets = rng.standard_normal((SHAPE[0], 1)).astype("float32")
    # Short operation lists: the full ones are traced above; this checks the
    # choice, the chains and the seed state inside the trainer's step.
    policy = _TwoFixedOps(value_range=(0, 1), num_ops=2, seed=1)
    mix = _AutoContrastMix(value_range=(0, 1), num_chains=2, chain_depth=1, all_ops=False, seed=2)
    model = kfacade.Sequential([kfacade.Input(SHAPE[1:]), policy, mix,
                                layers.GlobalAveragePooling2D(), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(images, targets, batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    for layer in (policy, mix):
        assert _numpy(layer.generator.state)[0] > 0  # the seed stream advanced in the step
    np.testing.assert_array_equal(model.predict(images, verbose=0),
                                  model.predict(images, verbose=0))
