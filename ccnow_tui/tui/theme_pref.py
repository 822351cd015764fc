"""The theme picked with ``ctrl+p``, "Change theme", kept for next time (ui.json)."""

from __future__ import annotations

from textual.app import App
from textual.theme import Theme

from ..storage.prefs import load_prefs, save_pref


class ThemePref(App[int]):
    """Restores the kept theme at start and saves each one picked afterwards."""

    _kept_theme = ""

    def restore_theme(self) -> None:
        """The theme kept last time (if this Textual still has it); later changes are kept."""
        theme = load_prefs().get("theme")
        if isinstance(theme, str) and theme in self.available_themes:
            self.theme = theme
        self._kept_theme = self.theme
        self.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, theme: Theme) -> None:
        if theme.name == self._kept_theme:
            return
        self._kept_theme = theme.name
        try:
            save_pref("theme", theme.name)
        except OSError as exc:
            self.notify(f"The theme is not kept for next time: {exc.strerror or exc}", severity="warning", markup=False)
