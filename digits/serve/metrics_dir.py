"""The folder of prometheus-client's multiprocess mode (several workers): made before prometheus_client is
first imported, since it reads PROMETHEUS_MULTIPROC_DIR then, and removed when the server stops.
No prometheus import here, for that reason."""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def metrics_folder() -> Iterator[str]:
    """A temporary folder, named in the environment (the forked workers inherit it) until the way out."""
    owner, folder = os.getpid(), tempfile.mkdtemp(prefix="digits-metrics-")
    os.environ[MULTIPROC_ENV] = folder
    try:
        yield folder
    finally:
        if os.getpid() == owner:  # not a forked worker unwinding (see workers.DigitsWorker.init_process)
            del os.environ[MULTIPROC_ENV]
            shutil.rmtree(folder)
