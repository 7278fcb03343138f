"""A run record: everything a finished or stopped run is saved from, as plain data.

A record holds no live objects (no trainer, no backend, no thread), so it pickles: a
sweep's worker process can send one back to its client, and saving it needs no backend
(a Keras run's results are written without TensorFlow). The session builds it.
"""

from __future__ import annotations

import functools
import io
import platform
import zipfile
from dataclasses import dataclass, field

import numpy as np

import tui_lstm
from tui_lstm.config import TrainConfig
from tui_lstm.training import EpochFlow, EpochMetrics, RunSummary


@dataclass(frozen=True)
class RunRecord:
    config: TrainConfig  # its lr is the one the run ended with
    state: str  # the RunState it ended in: finished, stopped or diverged
    history: tuple[EpochMetrics, ...]
    summary: RunSummary
    model: bytes  # the backend's model file, byte for byte
    results: tuple[str, ...]  # the report's rows for the test pairs
    provenance: dict[str, str] = field(default_factory=dict)
    training_state: bytes = b""  # pack()ed Trainer.training_state(): to continue exactly
    flow: tuple[EpochFlow, ...] = ()  # gradient flow and gate saturation by epoch (bits layout)


def pack(arrays: dict[str, np.ndarray]) -> bytes:
    """Named arrays as the bytes of an .npz."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def unpack(data: bytes) -> dict[str, np.ndarray]:
    """The arrays of ``pack``; ValueError, never an unpickling, for anything else, nor an
    archive that would unpack to more than a few times its own size (a zip bomb)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            declared = sum(info.file_size for info in archive.infolist())
        if declared > 2 * len(data) + 2**20:
            raise ValueError(f"declares {declared:,} bytes unpacked from {len(data):,}")
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise ValueError("not an .npz")
            return {name: archive[name] for name in archive.files}
    except (OSError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"unreadable or truncated ({error})") from None


def _version(*distributions: str) -> str | None:
    import importlib.metadata  # here: 10 ms at import time that only saving needs

    for name in distributions:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return None


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@functools.cache
def provenance() -> dict[str, str]:
    """What made the numbers: tui-lstm, Python, NumPy, BLAS, TensorFlow (if installed) and the CPU."""
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    return {
        "tui_lstm": tui_lstm.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": f"{blas.get('name')} {blas.get('version')}",
        "tensorflow": _version("tensorflow-cpu", "tensorflow") or "not installed",
        "cpu": _cpu(),
        "platform": platform.platform(),
    }
