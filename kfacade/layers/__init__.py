"""``kfacade.layers``: every layer class, Keras's names."""
from kfacade.engine import object_registry as _object_registry
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.core.dense import Dense
from kfacade.layers.core.einsum_dense import EinsumDense
from kfacade.layers.core.identity import Identity
from kfacade.layers.core.simple import Activation, Dropout, Flatten, Lambda, Reshape
from kfacade.layers.core.wrapper import Wrapper
from kfacade.layers.input_layer import Input, InputLayer
from kfacade.layers.layer import Layer
from kfacade.layers.normalization.batch_normalization import BatchNormalization
from kfacade.layers.serialization import deserialize_layer as deserialize
from kfacade.layers.serialization import serialize_layer as serialize
from kfacade.layers.convolutional import (
    Conv1D, Conv2D, Conv3D, Convolution1D, Convolution2D, Convolution3D,
    Conv1DTranspose, Conv2DTranspose, Conv3DTranspose, Convolution1DTranspose,
    Convolution2DTranspose, Convolution3DTranspose, Deconvolution2D, Deconvolution3D,
    DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D,
    SeparableConvolution1D, SeparableConvolution2D, LocallyConnected1D, LocallyConnected2D,
)
from kfacade.layers.pooling import (
    MaxPooling1D, MaxPooling2D, MaxPooling3D, AveragePooling1D, AveragePooling2D, AveragePooling3D,
    MaxPool1D, MaxPool2D, MaxPool3D, AvgPool1D, AvgPool2D, AvgPool3D,
    GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D,
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D,
    GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D,
    GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D,
    AdaptiveAveragePooling1D, AdaptiveAveragePooling2D, AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D, AdaptiveMaxPooling2D, AdaptiveMaxPooling3D,
)
from kfacade.layers.reshaping import (
    UpSampling1D, UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D,
    Cropping1D, Cropping2D, Cropping3D, RepeatVector, Permute,
)
from kfacade.layers.activations import ELU, LeakyReLU, PReLU, ReLU, Softmax, ThresholdedReLU
from kfacade.layers.core.embedding import Embedding
from kfacade.layers.core.reversible_embedding import ReversibleEmbedding
from kfacade.layers.core.masking import Masking
from kfacade.layers.merging import (
    Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract,
    add, average, concatenate, dot, maximum, minimum, multiply, subtract,
)
from kfacade.layers.normalization.group_normalization import GroupNormalization
from kfacade.layers.normalization.layer_normalization import LayerNormalization
from kfacade.layers.normalization.rms_normalization import RMSNormalization
from kfacade.layers.normalization.unit_normalization import UnitNormalization
from kfacade.layers.regularization import (
    ActivityRegularization, AlphaDropout, GaussianDropout, GaussianNoise,
    SpatialDropout1D, SpatialDropout2D, SpatialDropout3D,
)
from kfacade.layers.rnn import (
    GRU, LSTM, RNN, Bidirectional, ConvLSTM1D, ConvLSTM2D, ConvLSTM2DCell, ConvLSTM3D, CuDNNGRU,
    CuDNNLSTM, GRUCell, LSTMCell,
    SimpleRNN, SimpleRNNCell, StackedRNNCells, TimeDistributed,
)
from kfacade.layers.attention import (
    AdditiveAttention, Attention, GroupedQueryAttention, GroupQueryAttention, MultiHeadAttention,
)
from kfacade.layers.audio import MelSpectrogram, STFTSpectrogram
from kfacade.layers.preprocessing import (
    CategoryEncoding, Discretization, Hashing, IntegerLookup, Normalization, StringLookup,
    TextVectorization, CenterCrop, RandomBrightness, RandomContrast, RandomCrop, RandomFlip, RandomRotation,
    RandomTranslation, RandomZoom, Rescaling, Resizing,
)
from kfacade.layers.preprocessing.color_adjust import (
    AutoContrast, RandomGrayscale, RandomInvert, RandomPosterization, Solarization,
)
from kfacade.layers.preprocessing.color_random import (
    RandomColorDegeneration, RandomColorJitter, RandomHue, RandomSaturation, RandomSharpness,
)
from kfacade.layers.preprocessing.equalization import Equalization
from kfacade.layers.preprocessing.clahe import ContrastLimitedAdaptiveHistogramEqualization
from kfacade.layers.core.spectral_normalization import SpectralNormalization
from kfacade.layers.preprocessing.hashed_crossing import HashedCrossing
from kfacade.layers.preprocessing.mix_augmentation import CutMix, MixUp
from kfacade.layers.preprocessing.max_num_bounding_boxes import MaxNumBoundingBoxes
from kfacade.layers.preprocessing.pipeline import Pipeline
from kfacade.layers.preprocessing.random_erasing import RandomErasing
from kfacade.layers.preprocessing.random_elastic_transform import RandomElasticTransform
from kfacade.layers.preprocessing.random_gaussian_blur import RandomGaussianBlur
from kfacade.layers.preprocessing.random_perspective import RandomPerspective
from kfacade.layers.preprocessing.random_shear import RandomShear
from kfacade.layers.preprocessing.rand_augment import RandAugment
from kfacade.layers.preprocessing.aug_mix import AugMix


def _register_layers(namespace):
    """Registers the layer classes `namespace` exports, for deserialization by name."""
    _object_registry.register("layers", {
        name: obj for name, obj in namespace.items()
        if not name.startswith("_") and isinstance(obj, type) and issubclass(obj, Layer)
    })


_register_layers(globals())
