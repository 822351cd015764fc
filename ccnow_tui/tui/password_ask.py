"""The API password typed at start: asked for when no profile source gives it, and asked
again when the receiver refuses it (rather than leave a dead session)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import App

from ..config import ConnectionSettings
from ..protocol.redact import Secret
from .screens.setup import PasswordScreen

if TYPE_CHECKING:
    from .session import Session


class PasswordAsk(App[int]):
    """Asks for the password; esc quits. CcnowApp provides the session it starts."""

    settings: ConnectionSettings | None
    session: Session | None
    _password_typed = False  # asked for at start-up (so it can be asked again)

    def start_session(self, password: Secret) -> None:
        raise NotImplementedError

    def refresh_pending(self, automatic: bool = False) -> object:
        raise NotImplementedError

    def ask_password(self, settings: ConnectionSettings) -> None:
        """At start: no password from the profile, the environment or a command."""
        self._password_typed = True
        self.push_screen(PasswordScreen(settings), callback=self._password_given)

    def _password_given(self, password: Secret | None) -> None:
        if password is None:
            self.exit(0)
        else:
            self.start_session(password)

    def ask_password_again(self, why: str) -> None:
        """A typed password the receiver refused: ask again rather than leave a dead session."""
        session, settings = self.session, self.settings
        if session is None or settings is None:
            return

        def given(password: Secret | None) -> None:
            if password is None:
                self.exit(0)
                return
            session.use_password(password)
            self.refresh_pending()

        self.push_screen(PasswordScreen(settings, f"The receiver refused it: {why}. Try again."), callback=given)
