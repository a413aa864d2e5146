"""Keras 2 preprocessing that Keras 3 removed: `ImageDataGenerator` and its
iterators, the NumPy affine image transforms, and the text `Tokenizer`.

Served from the Keras 2 paths `kfacade.preprocessing.image` and
`kfacade.preprocessing.text`; nothing below the public namespaces imports
this package.
"""
