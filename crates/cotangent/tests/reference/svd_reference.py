"""Reference values for crates/cotangent/tests/svd.rs (`numpy_reference`), from NumPy in f64.

    python crates/cotangent/tests/reference/svd_reference.py

prints the singular values of the fixed [4, 3] matrix the test builds (entries
((i * i) % 7) - 2.5 + 0.1 i, row-major) and the first row of its pseudo-inverse, to paste
into the test.
"""

import numpy as np

a = np.array([((i * i) % 7) - 2.5 + 0.1 * i for i in range(12)], dtype=np.float64).reshape(4, 3)
s = np.linalg.svd(a, compute_uv=False)
p = np.linalg.pinv(a)
print("singular values:", ", ".join(f"{x:.17e}" for x in s))
print("pinv row 0:", ", ".join(f"{x:.17e}" for x in p[0]))
