"""Hilo's test suite.

Imported before every conftest (and so before anything loads numpy): the test processes keep
the BLAS libraries to one thread each, as `hilo` does (server/__init__.py). With OpenBLAS's
default, a thread per core, each embedding's threads spin against the other xdist worker, the
`hilo` processes the tests start and PostgreSQL for the 2 cores: the recall property test took
2 s alone and 26 s in the suite. A setting of these variables in the environment wins.
"""

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
