"""kfacade's version: a leaf module, so that saving can stamp files without importing the package."""
__version__ = "0.1.0"
