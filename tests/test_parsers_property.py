"""Property tests: whatever text reaches the config and sum parsers, the answer is a value
or one clear line (ConfigError, ValueError), and the command line exits 0 or 2, never with
a traceback."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_lstm.cli import main
from tui_lstm.config import FIELD, ConfigError, TrainConfig, check_value, parse_value, preset
from tui_lstm.tui.sums import parse_sum

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40) | st.from_regex(
    r"\s*-?\d{1,30}(\.\d*)?(e-?\d+)?\s*"
)
JSONISH = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20)


@given(name=st.sampled_from(sorted(FIELD)), text=TEXT)
def test_a_field_parses_to_a_valid_value_or_says_why_in_one_line(name, text):
    try:
        value = parse_value(name, text)
    except ConfigError as error:
        assert error.name == name and len(str(error).splitlines()) == 1
    else:
        assert check_value(name, value) is None


@given(st.dictionaries(st.sampled_from(sorted(FIELD)), JSONISH, max_size=6))
def test_a_config_file_gives_a_config_or_one_line(changes):
    data = {**TrainConfig().__dict__, **changes}
    try:
        TrainConfig.from_dict(data)
    except ConfigError as error:
        assert len(str(error).splitlines()) == 1


@given(
    text=TEXT | st.from_regex(r"\s*\d{1,25}\s*\+\s*\d{1,25}\s*"), layout=st.sampled_from(["bits", "numbers", "onehot"])
)
def test_a_typed_sum_is_a_pair_the_model_takes_or_one_line(text, layout):
    config = preset("report-numpy") if layout == "onehot" else preset("fast", layout=layout)
    try:
        pairs = parse_sum(text, config)
    except ValueError as error:
        assert len(str(error).splitlines()) == 1
    else:
        a, b = pairs.operands(0)
        assert len(pairs) == 1 and a < 2**pairs.width and b < 2**pairs.width


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "run"
    assert main(["train", "--headless", "--epochs", "1", "--samples", "64", "--out", str(out)]) == 0
    return out


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(a=st.integers(-(2**70), 2**70), b=st.integers(-(2**70), 2**70))
def test_predict_adds_or_refuses_in_one_line(run_folder, capsys, a, b):
    status = main(["predict", str(run_folder), str(a), str(b)])
    out, err = capsys.readouterr()
    if status == 0:
        assert out.startswith(f"{a} + {b} = {a + b}, lstm({a},{b}) = ")
    else:
        assert status == 2 and len(err.strip().splitlines()) == 1 and err.startswith("tui-lstm: error: ")
