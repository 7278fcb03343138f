"""The command palette's commands: every key of the console by name, and every preset.

The key commands are read from the app's bindings, so a key added there (as the inspect
view adds ``i``) is in the palette too.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui_lstm.config import PRESETS


class ConsoleCommands(Provider):
    def _commands(self):
        """(title, help, callback) for each key and each preset."""
        app = self.app
        for binding in app.BINDINGS:
            if binding.tooltip:  # every key that says what it does, on the footer or not
                title = f"{binding.description} ({app.get_key_display(binding)})"
                yield title, binding.tooltip, partial(app.run_action, binding.action)
        for name in PRESETS:
            yield f"preset {name}", f"fill the fields with the {name} preset", partial(app.choose_preset, name)

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
