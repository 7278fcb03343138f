"""What imports what: the dependency contract, and what a process has imported at run time.

The contract (``[tool.importlinter]`` in pyproject.toml) is checked statically by
import-linter: no core module imports the console, textual, TensorFlow or the keras
backend's module, directly or through others, even inside a function. What it cannot
see is what happens at run time, where the backend registry imports a backend by name;
so the same promise is also checked on live processes: training, parsing the command
line, importing the keras backend's module and opening the console on a keras preset
must not import TensorFlow (it takes seconds), a sweep on this machine must not import
Dask, tensorboardX is imported only for --tensorboard, and the core never imports textual.
"""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HEAVY = {"textual", "tensorflow", "keras", "dask", "distributed", "tensorboardX"}  # the last: --tensorboard only


def imported_by(code: str) -> set[str]:
    """Top-level packages in sys.modules after running ``code`` in a fresh interpreter."""
    script = textwrap.dedent(code) + "\nimport sys; print(' '.join(sys.modules))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return {name.split(".")[0] for name in result.stdout.split()}


@pytest.mark.skipif(shutil.which("lint-imports") is None, reason="import-linter is not installed")
def test_the_dependency_contract_is_kept():
    result = subprocess.run(["lint-imports"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    "code",
    [
        "import tui_lstm.cli; tui_lstm.cli.build_parser()",
        "import tui_lstm.backends.keras_backend, tui_lstm.backends.keras_weights, tui_lstm.study",
        "import tempfile; from pathlib import Path; from tui_lstm.sweep.command import execute, plan_from; "
        "execute(plan_from('fast', {'epochs': 1, 'samples': 32}, ['hidden=4'], '1', False), "
        "Path(tempfile.mkdtemp()) / 'sweep', workers=1)",
        "from tui_lstm.config import preset; from tui_lstm.session import Session; "
        "Session().train(preset('fast', epochs=1, samples=32))",
        "import tui_lstm.serve.server",  # textual_serve, not textual: the consoles it starts import that
    ],
    ids=["cli", "keras-backend-module", "a-sweep-on-this-machine", "a-run", "serve"],
)
def test_the_core_at_run_time_imports_no_ui_and_no_tensorflow(code):
    assert not HEAVY & imported_by(code)


def test_choosing_keras_in_the_console_does_not_import_tensorflow():
    """Only starting a keras run may pay for TensorFlow's import."""
    modules = imported_by("""
        import asyncio
        from tui_lstm.config import preset
        from tui_lstm.tui.app import TuiLstmApp

        async def main():
            app = TuiLstmApp(preset("fast"))
            async with app.run_test() as pilot:
                app.query_one("#field-preset").value = "report-keras"
                await pilot.pause()
                assert app.query_one("#field-backend").value == "keras"
                assert app.query_one("#hyperparams").config is not None
        asyncio.run(main())
    """)
    assert "textual" in modules and not {"tensorflow", "keras"} & modules
