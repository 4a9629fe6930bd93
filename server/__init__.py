"""The web service: FastAPI app, webhook routes, operator API and dashboard, CLI.

Importing it (as `hilo` and uvicorn's worker processes do, before numpy is loaded) keeps the
BLAS libraries to one thread each. The embedding of a query is a handful of small matrix
products: extra BLAS threads only spin and contend with PostgreSQL and the other requests for
the cores. Measured on the voice path (one caller, in-process): query embedding p95 15 → 3.4 ms,
live tool route p95 19 → 11 ms. An operator's own setting of these variables wins.
"""

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
