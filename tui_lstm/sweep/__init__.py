"""Sweeps: many runs of one base config, over a grid of field values and seeds.

The questions users bring are across runs (does an LSTM learn the carry faster than a
GRU? which hidden size is exact at 64 bits in every seed?), and a sweep is where a
user outgrows one machine. So a sweep is planned, validated and named in full before
anything runs (``plan``); its runs execute behind one ``concurrent.futures.Executor``
seam, a local process pool or a Dask cluster (``executors``, ``cluster``), as tasks
that need no shared filesystem (``task``); and the client alone writes the sweep's
folder, whole runs at a time (``folder``), while ``runner`` drives it all and
``table`` sums it up per grid point.
"""
