"""Small data sets: `digits` (bundled with scikit-learn) and `mnist`."""
from kfacade.datasets import digits, mnist

__all__ = ["digits", "mnist"]
