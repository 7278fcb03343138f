"""Peak memory and imports of a headless `fast` run, next to a bare Python with NumPy.

Each measurement runs in a fresh interpreter; peak resident set size is read from
getrusage. Target: a `fast` run peaks under 150 MB, importing neither textual nor
tensorflow.

    python benchmarks/memory.py
"""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, resource, sys
{body}
print(json.dumps({{
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "textual": "textual" in sys.modules,
    "tensorflow": "tensorflow" in sys.modules,
}}))
"""

CASES = {
    "python + numpy": "import numpy",
    "headless fast run": (
        "from tui_lstm.config import preset\nfrom tui_lstm.training import Trainer\nTrainer(preset('fast')).run()"
    ),
    "headless report run, 2 epochs": (
        "from tui_lstm.config import preset\n"
        "from tui_lstm.training import Trainer\n"
        "Trainer(preset('report', epochs=2)).run()"
    ),
}


def main() -> None:
    print(f"{'what':32} {'peak MB':>8} {'textual':>8} {'tensorflow':>10}")
    for name, body in CASES.items():
        out = subprocess.run(
            [sys.executable, "-c", PROBE.format(body=body)], capture_output=True, text=True, check=True
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{name:32} {r['peak_mb']:>8.1f} {str(r['textual']):>8} {str(r['tensorflow']):>10}")
    print("target: the headless fast run under 150 MB, with neither textual nor tensorflow imported")


if __name__ == "__main__":
    main()
