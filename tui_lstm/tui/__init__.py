"""The Textual console: the only part of tui_lstm that imports textual."""
