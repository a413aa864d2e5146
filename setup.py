"""Maps the adapters folder `backends/` into the installed package as
`kfacade.backends`, so that no top-level name other than `kfacade` is
installed (a PyPI distribution called `backends` exists)."""
from setuptools import find_packages, setup

packages = ["kfacade"] + [f"kfacade.{p}" for p in find_packages("kfacade")]
packages += ["kfacade.backends"] + [
    f"kfacade.backends.{p}" for p in find_packages("backends")
]
setup(
    packages=packages,
    package_dir={"kfacade": "kfacade", "kfacade.backends": "backends"},
    include_package_data=True,
    package_data={"kfacade": ["datasets/data/*"]},
)
