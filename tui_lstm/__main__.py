"""``python -m tui_lstm``: the same command as ``tui-lstm``."""

import sys

from tui_lstm.cli import main

if __name__ == "__main__":  # importing it (a tool listing modules) runs nothing
    sys.exit(main())
