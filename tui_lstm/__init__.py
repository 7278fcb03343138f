"""tui-lstm: watch recurrent networks learn to add binary numbers."""

__version__ = "0.1.0"
