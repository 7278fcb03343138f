"""The ``tui-lstm`` command, and ``python -m tui_lstm``: the CLI, loaded inside the Ctrl+C
guard. Loading it (NumPy and the rest) takes a few tenths of a second, longer on a busy
machine, and a Ctrl+C in that time ends as one at work does: one line, exit 130."""

import sys

EXIT_INTERRUPTED = 130  # 128 + SIGINT


def run() -> int:
    """The command's exit status; the CLI's ``main`` does the work."""
    try:
        from tui_lstm.cli import main

        return main()
    except KeyboardInterrupt:
        print("tui-lstm: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # importing it (a tool listing modules) runs nothing
    sys.exit(run())
