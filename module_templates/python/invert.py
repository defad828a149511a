"""The algorithm, as a plain function: easy to test and to reuse."""

from __future__ import annotations

import numpy as np


def invert(data: np.ndarray, *, keep_range: bool = True) -> np.ndarray:
    """Return ``data`` with grey levels reversed, in the same dtype.

    Parameters
    ----------
    data
        2-D array of any integer or float dtype.
    keep_range
        Reverse within ``data.min()..data.max()`` (True) or within the dtype's full range
        (False; for floats, 0..1).

    Examples
    --------
    >>> invert(np.array([[0, 10], [20, 30]], np.uint8)).tolist()
    [[30, 20], [10, 0]]
    """
    if keep_range:
        low, high = data.min(), data.max()
    elif np.issubdtype(data.dtype, np.integer):
        low, high = np.iinfo(data.dtype).min, np.iinfo(data.dtype).max
    else:
        low, high = 0.0, 1.0
    return (high - (data - low)).astype(data.dtype)
