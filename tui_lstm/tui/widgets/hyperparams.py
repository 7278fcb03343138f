"""The hyperparameters panel: one form field per setting, made from the config's fields.

Every field's kind, choices and range come from ``tui_lstm.config.FIELD``, and each value
is parsed and checked exactly as the CLI checks its flags, so the panel and the command
line can never disagree about what is valid.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Select

from tui_lstm.config import FIELD, PRESETS, ConfigError, TrainConfig, parse_value, preset

# The fields shown, in order; the rest (clipping, noise, shuffling...) come from the preset.
SHOWN = (
    "preset",
    "backend",
    "cell",
    "layout",
    "activation",
    "init",
    "bits",
    "hidden",
    "optimizer",
    "loss",
    "lr",
    "epochs",
    "batch_size",
    "samples",
    "seed",
)


def as_text(value) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _is_choice(name: str) -> bool:
    return name == "preset" or bool(FIELD[name].metadata["choices"])


def _options(name: str, value) -> list[tuple[str, str]]:
    """A Select's options; the preset's also list a config's own label ("custom", or a
    preset since renamed) beside the presets."""
    choices = FIELD[name].metadata["choices"] or (*PRESETS, *([value] if value not in PRESETS else []))
    return [(choice, choice) for choice in choices]


class Hyperparams(VerticalScroll):
    """The settings of the next run. ``config`` is None while any field is invalid, and
    ``problems`` then says why, by field name."""

    @dataclass
    class Changed(Message):
        """The fields were edited: the config they now make, or None (``problems`` says why)."""

        config: TrainConfig | None

    def __init__(self, config: TrainConfig, **kwargs):
        super().__init__(**kwargs)
        self.base = config  # the preset or opened run the shown fields override
        self.config: TrainConfig | None = config
        self.problems: dict[str, str] = {}
        self._checked = self._raw(config)  # each field's value when last checked

    @staticmethod
    def _raw(config: TrainConfig) -> dict:
        """What each field holds for a config: text in an Input, the value in a Select."""
        values = {name: getattr(config, name) for name in SHOWN}
        return {name: value if _is_choice(name) else as_text(value) for name, value in values.items()}

    def compose(self) -> ComposeResult:
        for name in SHOWN:
            with Horizontal(classes="field"):
                yield Label(name.replace("_", " "), classes="name")
                yield self._make_control(name)

    def _make_control(self, name: str) -> Widget:
        meta, value = FIELD[name].metadata, getattr(self.base, name)
        tooltip = meta["help"]
        if _is_choice(name):
            return Select(
                _options(name, value), value=value, allow_blank=False, compact=True, id=f"field-{name}", tooltip=tooltip
            )
        return Input(as_text(value), compact=True, id=f"field-{name}", tooltip=tooltip)

    def control(self, name: str) -> Input | Select:
        return self.query_one(f"#field-{name}")

    def on_mount(self) -> None:
        self.border_title = "hyperparameters"

    def load(self, config: TrainConfig) -> None:
        """Show a config's values (a preset's, an opened run's)."""
        self.base = config
        self._checked = self._raw(config)
        with self.prevent(Input.Changed, Select.Changed):
            self.control("preset").set_options(_options("preset", config.preset))
            for name, value in self._checked.items():
                self.control(name).value = value
        self._check()

    def lock_shape(self, live: bool) -> None:
        """While a run is live, lock the fields that would change the model's shape."""
        for name in SHOWN:
            if name == "preset" or FIELD[name].metadata["shape"]:
                self.control(name).disabled = live

    @on(Input.Changed)
    @on(Select.Changed)
    def _edited(self, event: Input.Changed | Select.Changed) -> None:
        event.stop()
        name = event.control.id.removeprefix("field-")
        if self._checked[name] == event.value:  # fields report their first value too
            return
        self._checked[name] = event.value
        if name == "preset":
            self.load(preset(event.value))
        else:
            self._check()

    def _check(self) -> None:
        values, problems = {}, {}
        for name in SHOWN[1:]:
            control = self.control(name)
            try:
                values[name] = parse_value(name, control.value) if isinstance(control, Input) else control.value
            except ConfigError as error:
                problems[name] = str(error)
        config = None
        if not problems:
            try:
                config = self.base.replace(**values)
            except ConfigError as error:  # a setting not shown here came with the preset
                problems[error.name if error.name in SHOWN else "preset"] = str(error)
        self.config, self.problems = config, problems
        for name in SHOWN:
            self.control(name).set_class(name in problems, "-invalid")
            self._show_problem(name, problems.get(name))
        self.post_message(self.Changed(config))

    def _show_problem(self, name: str, problem: str | None) -> None:
        """The reason under a field, mounted only while there is one (a lighter start)."""
        shown = self.query(f"#problem-{name}")
        if problem is None:
            shown.remove()
        elif shown:
            shown.first(Label).update(problem)
        else:
            self.mount(Label(problem, id=f"problem-{name}", classes="problem"), after=self.control(name).parent)
