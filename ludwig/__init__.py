"""Ludwig: declarative deep learning.

Importing the package is cheap on purpose: nothing here imports torch or pandas, so the CLI can answer
``ludwig --help`` instantly. Use ``from ludwig.api import LudwigModel`` for the Python API.
"""

from ludwig.globals import LUDWIG_VERSION

__version__ = LUDWIG_VERSION

__all__ = ["__version__"]
