"""Whether the terminal can show what the charts and sparklines draw with.

They draw in braille dots, eighth blocks and box lines; a terminal whose encoding has
none of them (ASCII, Latin-1) would show noise, so the console draws in ASCII there, as
it does when asked (``--ascii``).
"""

from __future__ import annotations

import codecs

DRAWN = "⠁⣿▁█╭╮╰╯│┤└─━┅·"  # a sample of every kind: braille, blocks, borders, axes, legends


def shows_drawing(encoding: str | None) -> bool:
    """Whether text in ``encoding`` (a stream's; None: unknown, taken as ASCII) holds DRAWN."""
    try:
        codecs.encode(DRAWN, encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True
