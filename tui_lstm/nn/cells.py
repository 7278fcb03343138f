"""Every cell tui-lstm knows, by the name configs and the command line use.

Everything else (the config's choices, the gradient check, inspection, the keras
backend) reads this registry and the cells' own class attributes, so a new cell is its
module and one line here.
"""

from __future__ import annotations

from tui_lstm.nn.cell import Cell
from tui_lstm.nn.gru import GRU
from tui_lstm.nn.lstm import LSTM
from tui_lstm.nn.mgu import MGU
from tui_lstm.nn.rnn import RNN

CELLS: dict[str, type[Cell]] = {cell.kind: cell for cell in (RNN, LSTM, GRU, MGU)}
