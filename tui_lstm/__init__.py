"""tui-lstm: watch recurrent networks learn to add binary numbers."""

import os

# The engine's matrices are small: BLAS worker threads spend more time waiting on each
# other than they save (8-13x slower epochs on a busy 2-core machine), and they starve
# the console's UI thread. This must run before NumPy is first imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
