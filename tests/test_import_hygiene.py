"""The engine and the loop import neither textual nor tensorflow; the console imports no tensorflow."""

import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tui_lstm"


def imported_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return {name.split(".")[0] for name in result.stdout.split()}


@pytest.mark.parametrize(
    "statement",
    [
        "import tui_lstm.nn.network, tui_lstm.nn.gradcheck",
        "import tui_lstm.training, tui_lstm.runs, tui_lstm.headless",
        "import tui_lstm.cli; tui_lstm.cli.build_parser()",
        "from tui_lstm.config import preset; from tui_lstm.training import Trainer; "
        "Trainer(preset('fast', epochs=1, samples=32)).run()",
    ],
)
def test_core_imports_no_ui_and_no_tensorflow(statement):
    modules = imported_after(statement)
    assert "textual" not in modules
    assert "tensorflow" not in modules and "keras" not in modules


def test_no_module_outside_tui_imports_textual():
    for path in PACKAGE.rglob("*.py"):
        if "tui" in path.relative_to(PACKAGE).parts[:1]:
            continue
        for line in path.read_text().splitlines():
            stripped = line.strip()
            assert not stripped.startswith(("import textual", "from textual")), f"{path}: {line}"
