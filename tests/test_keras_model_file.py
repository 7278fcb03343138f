"""A model.keras is sized up by what its archive declares before Keras opens it: a zip
bomb is refused in one line without being inflated (issue 10, class 7)."""

import io
import shutil
import zipfile

import pytest

from tui_lstm.backends import make_backend
from tui_lstm.cli import main
from tui_lstm.config import preset
from tui_lstm.record import RunRecord
from tui_lstm.runs import RunError, load_run, save_run
from tui_lstm.training import RunSummary

pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def keras_run(tmp_path_factory):
    """An untrained keras run folder: its model file is what matters here."""
    config = preset("report-keras", hidden=8, samples=64, test_samples=20, epochs=2, batch_size=16)
    record = RunRecord(config, "stopped", (), RunSummary(), make_backend(config).model_bytes(), ())
    return save_run(tmp_path_factory.mktemp("runs") / "keras", record)


def bomb(model: bytes, inflated: int) -> bytes:
    """The model's archive with its weights replaced by ``inflated`` zero bytes, deflated."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(model)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename.endswith(".h5"):
                with target.open(info.filename, "w", force_zip64=True) as member:
                    for _ in range(inflated // 2**20):
                        member.write(bytes(2**20))
            else:
                target.writestr(info.filename, source.read(info))
    return out.getvalue()


def test_a_keras_run_loads(keras_run):
    assert load_run(keras_run).config.backend == "keras"


def test_a_keras_zip_bomb_is_refused_before_keras_opens_it(keras_run, tmp_path, capsys):
    run = shutil.copytree(keras_run, tmp_path / "run")
    model = run / "model.keras"
    model.write_bytes(bomb(model.read_bytes(), 64 * 2**20))
    with pytest.raises(RunError, match="model.keras: declares 67,") as refused:
        load_run(run)
    assert "\n" not in str(refused.value)
    assert main(["eval", str(run)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "declares" in err
