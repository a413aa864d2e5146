"""Keras's data sets (`mnist`, `fashion_mnist`, `cifar10`, `cifar100`, `imdb`,
`reuters`, `boston_housing`, `california_housing`), downloaded once into
`$KERAS_HOME/datasets` through `kfacade.utils.get_file`, plus the bundled
offline `digits`."""
from kfacade.datasets import (boston_housing, california_housing, cifar10, cifar100, digits,
                              fashion_mnist, imdb, mnist, reuters)

__all__ = ["boston_housing", "california_housing", "cifar10", "cifar100", "digits",
           "fashion_mnist", "imdb", "mnist", "reuters"]
