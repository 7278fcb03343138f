"""``python -m tui_lstm``: the same command as ``tui-lstm``."""

import sys

from tui_lstm.cli import main

sys.exit(main())
