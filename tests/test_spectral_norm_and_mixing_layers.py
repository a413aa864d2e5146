"""SpectralNormalization, Pipeline, MixUp, CutMix and RandomErasing on the active backend.

References are NumPy: the spectral norm is NumPy's SVD; the mixing layers
are checked through invariants that hold for every random draw (images of
one constant value each, so the mixed images must equal the mixed labels
times those values; erased pixels form one rectangle of the fill value).
"""
import numpy as np
import pytest

import kfacade
from kfacade import ops
from kfacade.layers import (
    Conv2D, CutMix, Dense, MixUp, Pipeline, RandomErasing, RandomFlip, ReLU, Rescaling,
    SpectralNormalization,
)

try:
    from tests.helpers import assert_close
    from tests.layer_testing import run_layer_test
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import assert_close
    from layer_testing import run_layer_test


def to_numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


# ------------------------------------------------------ SpectralNormalization

@pytest.mark.parametrize("make_layer,input_shape", [
    (lambda: Dense(5), (3, 4)),
    (lambda: Conv2D(3, 2), (2, 5, 5, 2)),
])
def test_spectral_normalization_divides_the_kernel_by_its_largest_singular_value(
        make_layer, input_shape, rng):
    layer = SpectralNormalization(make_layer(), power_iterations=50)
    x = rng.standard_normal(input_shape).astype("float32")
    layer(x, training=False)
    kernel = to_numpy(layer.layer.kernel.value)
    matrix = kernel.reshape(-1, kernel.shape[-1])
    _, singular_values, right = np.linalg.svd(matrix)
    # Inference leaves the kernel alone.
    assert_close(to_numpy(layer.layer.kernel.value), kernel)

    outputs = layer(x, training=True)
    normalized = to_numpy(layer.layer.kernel.value)
    assert_close(normalized, kernel / singular_values[0], rtol=1e-4, atol=1e-6)
    assert np.linalg.svd(normalized.reshape(matrix.shape), compute_uv=False)[0] == \
        pytest.approx(1.0, rel=1e-4)
    # vector_u converged to the top right singular vector (up to its sign).
    vector_u = to_numpy(layer.vector_u.value)
    assert vector_u.shape == (1, kernel.shape[-1])
    assert abs(float(vector_u[0] @ right[0])) == pytest.approx(1.0, abs=1e-4)
    # The output is the wrapped layer's on the normalized kernel.
    assert_close(to_numpy(outputs), to_numpy(layer.layer(x)))


def test_spectral_normalization_weights_config_and_errors(rng):
    layer = SpectralNormalization(Dense(3), power_iterations=2, name="sn")
    layer(rng.standard_normal((2, 4)).astype("float32"))
    # Keras 3's weights: the tracked kernel, vector_u, then the wrapped layer's bias.
    assert [w.path.split("/")[-1] for w in layer.weights] == ["kernel", "vector_u", "bias"]
    assert all(w.path.startswith("sn/") for w in layer.weights)
    assert [w.name for w in layer.non_trainable_weights] == ["vector_u"]
    assert len(layer.trainable_weights) == 2

    clone = kfacade.layers.deserialize(kfacade.layers.serialize(layer))
    assert isinstance(clone, SpectralNormalization) and clone.power_iterations == 2
    assert isinstance(clone.layer, Dense) and clone.layer.units == 3

    # An all-zero kernel stays as it is (its norm is 0).
    zero = SpectralNormalization(Dense(2, kernel_initializer="zeros"))
    zero(np.ones((1, 3), "float32"), training=True)
    assert not to_numpy(zero.layer.kernel.value).any()
    assert np.isfinite(to_numpy(zero.vector_u.value)).all()

    with pytest.raises(ValueError, match="power_iterations"):
        SpectralNormalization(Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="no attribute 'kernel' nor 'embeddings'"):
        SpectralNormalization(ReLU())(np.ones((1, 2), "float32"))
    with pytest.raises(ValueError, match="Wrapper"):
        SpectralNormalization("dense")


# ------------------------------------------------------------- MixUp, CutMix

#: One image shape for every test: JAX compiles each eager op once per shape.
IMAGES_SHAPE = (4, 6, 6, 3)


def constant_images(data_format="channels_last"):
    """Image i is the constant i + 1 everywhere; labels are one-hot."""
    batch, size, _, channels = IMAGES_SHAPE
    values = np.arange(1, batch + 1, dtype="float32")
    shape = IMAGES_SHAPE if data_format == "channels_last" else (batch, channels, size, size)
    images = np.broadcast_to(values[:, None, None, None], shape).copy()
    return values, images, np.eye(batch, dtype="float32")


@pytest.mark.parametrize("layer_cls,kwargs", [
    (MixUp, {"alpha": 0.8}),
    (CutMix, {}),
    (CutMix, {"factor": (0.5, 1.0), "data_format": "channels_first"}),
])
def test_mixing_mixes_labels_as_it_mixes_images(layer_cls, kwargs):
    data_format = kwargs.get("data_format", "channels_last")
    values, images, labels = constant_images(data_format)
    batch = len(values)
    layer = layer_cls(seed=3, **kwargs)
    out = layer({"images": images, "labels": labels})
    mixed, mixed_labels = to_numpy(out["images"]), to_numpy(out["labels"])
    assert mixed.shape == images.shape and mixed_labels.shape == labels.shape
    assert_close(mixed_labels.sum(axis=1), np.ones(batch))
    assert (mixed_labels >= -1e-6).all()
    # Each image draws on itself and one partner: at most two labels are set.
    assert ((mixed_labels > 1e-6).sum(axis=1) <= 2).all()
    # The mean of each mixed image is its label row times the images' values.
    assert_close(mixed.mean(axis=(1, 2, 3)), mixed_labels @ values, rtol=1e-5, atol=1e-5)
    if layer_cls is CutMix:  # pasted pixels are copies: only the two values occur
        for image, row in zip(mixed, mixed_labels):
            assert set(np.unique(image)) <= set(values[row > 1e-6])
    else:  # each MixUp image is one constant blend
        assert_close(mixed.std(axis=(1, 2, 3)), np.zeros(batch), atol=1e-4)

    # Seeded: the same seed gives the same result; inference is the identity.
    again = layer_cls(seed=3, **kwargs)({"images": images, "labels": labels})
    assert_close(to_numpy(again["images"]), mixed)
    assert_close(to_numpy(again["labels"]), mixed_labels)
    idle = layer({"images": images, "labels": labels}, training=False)
    assert_close(to_numpy(idle["images"]), images)
    assert_close(to_numpy(idle["labels"]), labels)
    assert_close(to_numpy(layer(images, training=False)), images)
    # A single image has nothing to mix with.
    assert_close(to_numpy(layer(images[0])), images[0])


@pytest.mark.parametrize("layer_cls,kwargs", [
    (MixUp, {"alpha": 0.5, "seed": 1}),
    (CutMix, {"factor": 0.5, "seed": 1}),
    (RandomErasing, {"factor": (0.5, 1.0), "value_range": (0, 1), "seed": 1}),
])
def test_layer_contract(layer_cls, kwargs):
    run_layer_test(layer_cls, kwargs, input_shape=IMAGES_SHAPE, expected_output_shape=IMAGES_SHAPE,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   run_training_check=False, call_kwargs={"training": False})


def test_mixing_arguments_and_config():
    assert CutMix(0.5).factor == (0, 0.5) and CutMix((0.6, 0.2)).factor == (0.2, 0.6)
    config = CutMix((0.2, 0.4), seed=5).get_config()
    assert config["factor"] == [0.2, 0.4] and config["seed"] == 5
    assert MixUp.from_config(MixUp(alpha=0.3).get_config()).alpha == 0.3
    with pytest.raises(ValueError, match="`factor` argument"):
        CutMix(2.0)
    with pytest.raises(ValueError, match="alpha"):
        MixUp(alpha=0.0)
    with pytest.raises(ValueError, match="'images'"):
        MixUp()({"labels": np.eye(2, dtype="float32")})


# ------------------------------------------------------------ RandomErasing

def test_random_erasing_erases_one_rectangle_per_image():
    images = np.ones(IMAGES_SHAPE, "float32")
    batch, height, width, _ = IMAGES_SHAPE
    layer = RandomErasing(factor=(1.0, 1.0), scale=(0.1, 0.3), fill_value=0.0,
                          value_range=(0, 1), seed=7)
    labels = np.eye(batch, dtype="float32")
    out = layer({"images": images, "labels": labels})
    assert_close(to_numpy(out["labels"]), labels)  # labels pass unchanged
    erased = to_numpy(out["images"]) == 0.0
    for image in erased:
        assert (image == image[..., :1]).all()  # every channel alike
        rows, cols = np.nonzero(image[..., 0])
        assert rows.size > 0
        box = image[rows.min():rows.max() + 1, cols.min():cols.max() + 1, 0]
        assert box.all() and box.sum() == image[..., 0].sum()  # one filled rectangle
        # Each side is sqrt(s) of the image's, s in [0.1, 0.3] (+1 pixel of rounding).
        assert np.sqrt(0.1) * height - 1 <= box.shape[0] <= np.sqrt(0.3) * height + 1
        assert np.sqrt(0.1) * width - 1 <= box.shape[1] <= np.sqrt(0.3) * width + 1

    # Noise fill stays in value_range; per-channel fills land on the channel axis.
    noisy = to_numpy(RandomErasing(factor=(1.0, 1.0), value_range=(0, 1), seed=2)(images))
    assert noisy.min() >= 0.0 and noisy.max() <= 1.0
    first = RandomErasing(factor=(1.0, 1.0), fill_value=(0.2, 0.4, 0.6), value_range=(0, 1),
                          data_format="channels_first", seed=2)
    filled = to_numpy(first(np.ones((batch, 3, height, width), "float32")))
    erased = filled[:, 0] != 1.0
    assert erased.any(axis=(1, 2)).all()
    for channel, value in enumerate((0.2, 0.4, 0.6)):
        assert_close(filled[:, channel][erased], np.full(erased.sum(), value))
        assert (filled[:, channel][~erased] == 1.0).all()
    # factor 0 never erases; inference is the identity.
    assert_close(to_numpy(RandomErasing(factor=0.0, seed=1)(images)), images)
    assert_close(to_numpy(layer(images, training=False)), images)
    with pytest.raises(ValueError, match="fill_value"):
        RandomErasing(fill_value=(1, 2))
    with pytest.raises(ValueError, match="`scale` argument"):
        RandomErasing(scale=(0.1,))
    with pytest.raises(ValueError, match="rank 3 or 4"):
        RandomErasing()(np.ones((2, 2), "float32"))


# ------------------------------------------------------------------ Pipeline

def test_pipeline_applies_layers_in_order_and_round_trips(rng):
    images = rng.uniform(0, 255, IMAGES_SHAPE).astype("float32")
    batch = IMAGES_SHAPE[0]
    pipeline = Pipeline([Rescaling(1 / 255.0), RandomFlip(seed=1), Rescaling(2.0)], name="pre")
    assert len(pipeline.layers) == 3 and pipeline.weights == []
    # Inference: the flips are off, so the result is the two rescalings.
    assert_close(to_numpy(pipeline(images, training=False)), images / 255.0 * 2.0)
    flipped = to_numpy(pipeline(images))
    assert flipped.shape == images.shape
    assert_close(np.sort(flipped.reshape(batch, -1), axis=1),
                 np.sort((images / 255.0 * 2.0).reshape(batch, -1), axis=1), rtol=1e-5)

    config = pipeline.get_config()
    assert sorted(config) == ["layers", "name"]
    clone = kfacade.layers.deserialize(kfacade.layers.serialize(pipeline))
    assert [type(layer).__name__ for layer in clone.layers] == ["Rescaling", "RandomFlip",
                                                                "Rescaling"]
    assert_close(to_numpy(clone(images, training=False)), images / 255.0 * 2.0)
    with pytest.raises(ValueError, match="`layers` key"):
        Pipeline.from_config({"name": "p"})

    # Dicts go through to the layers that take them.
    values, constant, labels = constant_images()
    out = Pipeline([MixUp(seed=2), CutMix(seed=3)])({"images": constant, "labels": labels})
    assert_close(to_numpy(out["images"]).mean(axis=(1, 2, 3)), to_numpy(out["labels"]) @ values,
                 rtol=1e-5, atol=1e-5)


def test_augmentation_in_a_compiled_fit(rng):
    # One of the mixing layers (the others trace the same kinds of ops) and the wrapper.
    x = rng.uniform(0, 1, IMAGES_SHAPE).astype("float32")
    y = rng.standard_normal((IMAGES_SHAPE[0], 1)).astype("float32")
    model = kfacade.Sequential([
        kfacade.Input(IMAGES_SHAPE[1:]), MixUp(seed=1), kfacade.layers.Flatten(),
        SpectralNormalization(Dense(1)),
    ])
    model.compile("sgd", "mse")
    history = model.fit(x, y, batch_size=IMAGES_SHAPE[0], epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    kernel = to_numpy(model.layers[-1].layer.kernel.value)
    assert np.isfinite(kernel).all()
    # predict is inference: the augmentations are the identity.
    flat = model.layers[-1]
    assert_close(to_numpy(model.predict(x, verbose=0)), to_numpy(flat(x.reshape(len(x), -1))),
                 rtol=1e-5, atol=1e-5)
