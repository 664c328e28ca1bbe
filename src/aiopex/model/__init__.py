"""The model: one module per section of the formulas (docs/formulas.md), pure functions on
``(draws, months)`` arrays of floats."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

#: An array of floats: the model's values, ``(draws, months)`` or a slice of it.
Floats = NDArray[np.floating[Any]]
