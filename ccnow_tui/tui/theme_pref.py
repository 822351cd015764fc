"""The theme picked with ``ctrl+p``, "Change theme", kept for next time (ui.json)."""

from __future__ import annotations

from textual.app import App
from textual.theme import Theme

from ..storage.prefs import load_prefs, save_pref


class ThemeKeeper:
    """Restores the kept theme at start and saves each one picked afterwards."""

    def __init__(self, app: App[int]) -> None:
        self.app = app
        self.kept = ""

    def restore(self) -> None:
        """The theme kept last time (if this Textual still has it); later changes are kept."""
        app = self.app
        theme = load_prefs().get("theme")
        if isinstance(theme, str) and theme in app.available_themes:
            app.theme = theme
        self.kept = app.theme
        app.theme_changed_signal.subscribe(app, self._changed)

    def _changed(self, theme: Theme) -> None:
        if theme.name == self.kept:
            return
        self.kept = theme.name
        try:
            save_pref("theme", theme.name)
        except OSError as exc:
            self.app.notify(
                f"The theme is not kept for next time: {exc.strerror or exc}", severity="warning", markup=False
            )
