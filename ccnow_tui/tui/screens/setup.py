"""Start-up without a session: the first-run form, how to configure, or the API password.

With no configuration at all, :class:`SetupScreen` is a form: profile name, receiver
URL, client id, store id and where the password comes from (a command, an environment
variable, or asked at each start). Test asks the receiver for the pending list with
what is entered and shows its answer; Save writes ``config.toml`` (config/write.py)
after a passing test, or when the operator insists, and hands the app the settings
resolved from the file just written, exactly as the next start will resolve them.
With a configuration that cannot be used (a broken file, an unusable store) it only
explains: a form there could overwrite the operator's file.

The password typed here lives only in memory (a Secret), for this session; it is never
written, shown or logged.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import secrets
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, RadioButton, RadioSet, Static
from textual.worker import Worker

from ...client import ClientConfigError, ReceiverClient, Retrying
from ...config.load import (
    DEFAULT_TIMEOUT,
    DEFAULT_URL,
    ConfigError,
    ConnectionSettings,
    load_config,
    resolve_connection,
    run_password_command,
)
from ...config.write import HOLDS_PASSWORD, FirstRun, NewProfile, PasswordSource, problems, write_profile
from ...domain.answers import ReceiverAnswer
from ...protocol.outcome import Outcome
from ...protocol.redact import Secret, redact, safe_text
from ...storage.paths import config_path
from ..widgets.field_input import FieldInput
from .confirm import ConfirmScreen

DEFAULT_PROFILE_NAME = "shop"  # as in `ccnow-tui init`'s example
RESULT_LIMIT = 400  # characters of a test's result shown (a proxy's page can be long)

# (field, label, placeholder): the form's text fields, in order; the password source's
# own field follows the choice of source.
FIELDS: list[tuple[str, str, str]] = [
    ("name", "Profile name", "letters, digits, - and _ (--profile NAME picks it)"),
    ("url", "Receiver URL", DEFAULT_URL),
    ("client_id", "Client id", "the account's login id (x_clientid)"),
    ("store_id", "Store id", "optional: only for a linked store account"),
]
SOURCE_FIELDS: dict[PasswordSource, tuple[str, str, str]] = {
    PasswordSource.COMMAND: ("password_command", "Command", "prints the password first, e.g. pass show ccnow"),
    PasswordSource.ENV: ("password_env", "Variable", "holds the password, e.g. CCNOW_API_PASSWORD"),
    PasswordSource.ASK: ("password", "Password", "to test with; never written: asked at each start"),
}
SOURCE_LABELS = {
    PasswordSource.COMMAND: "command",
    PasswordSource.ENV: "environment variable",
    PasswordSource.ASK: "ask each start",
}

Fingerprint = tuple[object, ...]
_FINGERPRINT_KEY = secrets.token_bytes(32)  # per process: a digest of a typed password proves nothing elsewhere


class SetupScreen(Screen[ConnectionSettings]):
    """Shown instead of a traceback when there is nothing (valid) to connect with;
    ``form``: nothing is configured, so it is the first-run form."""

    DEFAULT_CSS = """
    SetupScreen .setup-row, SetupScreen .source-row { height: auto; }
    SetupScreen .setup-label { width: 15; }
    SetupScreen .setup-row FieldInput { width: 1fr; }
    SetupScreen .setup-error { margin-left: 15; }
    SetupScreen #source { layout: horizontal; border: none; padding: 0; width: 1fr; height: auto;
                          background: transparent; }
    SetupScreen #source:focus { background-tint: $foreground 8%; }
    SetupScreen #source > RadioButton { width: auto; margin-right: 2; }
    SetupScreen #setup-intro, SetupScreen #setup-buttons { margin-bottom: 1; }
    SetupScreen #setup-buttons { height: auto; margin-top: 1; }
    SetupScreen #setup-buttons Button { margin-right: 2; }
    SetupScreen #setup-result { height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "q,escape",
            "app.quit",
            "Quit",
            key_display="esc",
            id="setup.quit",
            tooltip="Quit (q too, outside a text field); nothing is written",
        ),
        # Priority: they act as the app reads them, wherever the focus is (a field, the
        # choice of source, a button). Neither is a text field's editing key, and both
        # pass through SSH and tmux (ctrl+s and ctrl+q may not).
        Binding(
            "ctrl+t",
            "test",
            "Test",
            priority=True,
            id="setup.test",
            tooltip="Setup: test what is entered (asks the receiver for the pending list; changes nothing)",
        ),
        Binding(
            "ctrl+o",
            "save",
            "Save",
            priority=True,
            id="setup.save",
            tooltip="Setup: save the profile to config.toml (asks first if it has not passed a test)",
        ),
        # Priority, as in the staging forms: the focus has moved before the key after tab is
        # looked at, so keys typed ahead (a paste, SSH) land in the field they were typed for.
        Binding(
            "tab", "next_field", "Next field", show=False, priority=True, id="setup.next", tooltip="Setup: next field"
        ),
        Binding(
            "shift+tab",
            "previous_field",
            "Previous field",
            show=False,
            priority=True,
            id="setup.previous",
            tooltip="Setup: previous field",
        ),
    ]

    def __init__(
        self, message: str, title: str = "ccnow-tui is not set up yet", *, first_run: FirstRun | None = None
    ) -> None:
        super().__init__()
        self.message = message
        self.title_text = title
        # No configuration at all: a form that writes one (else only the explanation),
        # filled in from the command line's options and resolved with them once saved.
        self.first_run = first_run
        self.form = first_run is not None
        self.config_file = config_path()
        self.touched: set[str] = set()
        self.passed: Fingerprint | None = None  # what the last passing test tested
        self.failed = ""  # the last failing test's words, while the fields are as tested
        self.failed_for: Fingerprint | None = None
        self.saving = False
        self.test_worker: Worker[None] | None = None
        # Passwords a test got from a command or a variable, in memory only, each with
        # the source that gave it: no field saved may hold one (``echo hunter2`` is no
        # password manager). Only the current source's count: what another command
        # printed is not known to be the password (its mark goes when the command changes).
        self.learned: list[tuple[tuple[str, str], Secret]] = []

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="setup-body"):
            yield Label(Text(self.title_text), classes="title")
            if not self.form:
                yield Static(Text(redact(self.message)), id="setup-message")
            else:
                yield from self._compose_form()
        yield Footer()

    def _compose_form(self) -> ComposeResult:
        reason = redact(self.message.split("\n\n", 1)[0]).strip()
        yield Static(
            Text(
                (f"{reason} " if reason else "")
                + "Enter the account, test it (ctrl+t asks the receiver for the pending list; it changes "
                "nothing), then save (ctrl+o) to\n"
                + f"{shown_path(self.config_file)}\n"
                + "(mode 0600). The API password is never written there. No account? ccnow-tui --demo. "
                "For scripts: ccnow-tui init."
            ),
            id="setup-intro",
        )
        initial = (self.first_run or FirstRun()).initial(os.environ, DEFAULT_PROFILE_NAME)
        for name, label, placeholder in FIELDS:
            yield from self._row(name, label, placeholder, initial.get(name, ""))
        with Horizontal(classes="setup-row"):
            yield Label("Password from", classes="setup-label")
            with RadioSet(id="source"):
                for source in PasswordSource:
                    yield RadioButton(
                        SOURCE_LABELS[source], value=source is PasswordSource.COMMAND, id=f"source-{source.value}"
                    )
        for source, (name, label, placeholder) in SOURCE_FIELDS.items():
            with Vertical(id=f"row-{name}", classes="source-row"):
                yield from self._row(name, label, placeholder, "", password=source is PasswordSource.ASK)
        with Horizontal(id="setup-buttons"):
            yield Button("Test  ctrl+t", id="setup-test", compact=True)
            yield Button("Save  ctrl+o", id="setup-save", variant="primary", compact=True)
        yield Static(Text("Not tested yet."), id="setup-result")

    def _row(self, name: str, label: str, placeholder: str, value: str, password: bool = False) -> ComposeResult:
        with Horizontal(classes="setup-row"):
            yield Label(label, classes="setup-label")
            yield FieldInput(
                value, placeholder=placeholder, id=f"f-{name}", password=password, compact=True, select_on_focus=False
            )
        yield Static("", id=f"e-{name}", classes="field-error setup-error")

    def on_mount(self) -> None:
        if not self.form:
            self.query_one("#setup-body").focus()
            return
        for box in self.query(".setup-error"):
            box.display = False
        self._show_source()
        self.set_focus(self.query_one("#f-client_id", Input))  # the first thing to fill in

    def action_next_field(self) -> None:
        self.focus_next()  # at once: the next key goes to the field it was typed for

    def action_previous_field(self) -> None:
        self.focus_previous()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("test", "save"):
            return self.form
        return True

    # -- what is entered -------------------------------------------------------------------

    @property
    def source(self) -> PasswordSource:
        pressed = self.query_one("#source", RadioSet).pressed_button
        if pressed is None or pressed.id is None:
            return PasswordSource.COMMAND
        return PasswordSource(pressed.id.removeprefix("source-"))

    def _field(self, name: str) -> str:
        return self.query_one(f"#f-{name}", Input).value

    def entered(self) -> tuple[NewProfile, str]:
        """The profile as entered, and the password typed (ask at each start), "" if none.

        Plain text until a test or a save uses it: a Secret registers its value for
        masking everywhere, and each half-typed prefix ("s", "s3") would mask text too.
        """
        profile = NewProfile(
            name=self._field("name"),
            url=self._field("url"),
            client_id=self._field("client_id"),
            store_id=self._field("store_id"),
            source=self.source,
            password_command=self._field("password_command"),
            password_env=self._field("password_env"),
        ).cleaned()
        return profile, self._field("password") if profile.source is PasswordSource.ASK else ""

    @staticmethod
    def _fingerprint(profile: NewProfile, typed: str) -> Fingerprint:
        # A keyed digest, not the typed password: the fingerprint is kept on the screen
        # (what the last test tested), where a repr or a crash report could show it.
        return (profile, hmac.new(_FINGERPRINT_KEY, typed.encode("utf-8"), "sha256").digest())

    @staticmethod
    def _source_key(profile: NewProfile) -> tuple[str, str]:
        """Where the password comes from, as entered: the source and its command or variable."""
        if profile.source is PasswordSource.COMMAND:
            return profile.source.value, profile.password_command
        if profile.source is PasswordSource.ENV:
            return profile.source.value, profile.password_env
        return profile.source.value, ""

    def _learned_now(self, profile: NewProfile) -> list[Secret]:
        """The passwords learnt from the source entered now (not from an earlier command)."""
        key = self._source_key(profile)
        return [secret for source, secret in self.learned if source == key]

    def _problems(self, profile: NewProfile, typed: Secret | None, *, for_test: bool) -> dict[str, str]:
        found: dict[str, str] = {}
        learned = self._learned_now(profile)
        for known in [typed, *learned] if typed is not None else [None, *learned]:
            found = problems(profile, known) | found
        # What an earlier command printed still may not be written inside the command
        # (``echo hunter2`` changed to ``printf hunter2``); other fields forget it.
        command = profile.password_command if profile.source is PasswordSource.COMMAND else ""
        if (
            command
            and "password_command" not in found
            and any(secret.reveal() and secret.reveal() in command for _, secret in self.learned)
        ):
            found["password_command"] = HOLDS_PASSWORD
        if for_test and profile.source is PasswordSource.ASK and typed is None:
            found["password"] = "Type the password to test with (it is kept in memory only, never written)."
        return found

    def _show_errors(self, found: dict[str, str], *, every: bool) -> None:
        names = [name for name, _, _ in FIELDS] + [name for name, _, _ in SOURCE_FIELDS.values()]
        for name in names:
            box = self.query_one(f"#e-{name}", Static)
            message = found.get(name, "") if every or name in self.touched else ""
            box.update(Text(message))
            box.display = bool(message)

    def _focus_first(self, found: dict[str, str]) -> None:
        names = [name for name, _, _ in FIELDS] + [name for name, _, _ in SOURCE_FIELDS.values()]
        first = next((name for name in names if name in found), None)
        if first is not None:
            self.set_focus(self.query_one(f"#f-{first}", Input))

    def _show_source(self) -> None:
        chosen = SOURCE_FIELDS[self.source][0]
        for name, _, _ in SOURCE_FIELDS.values():
            self.query_one(f"#row-{name}").display = name == chosen

    def _result(self, text: Text | str) -> None:
        """The receiver's answer or what happened: masked, control characters written
        out, cut to a few lines; never read as markup."""
        shown = text if isinstance(text, Text) else Text(text)
        safe = safe_text(shown.plain, RESULT_LIMIT)
        if safe != shown.plain:
            shown = Text(safe)
        self.query_one("#setup-result", Static).update(shown)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if not self.form or not event.input.id:
            return
        event.stop()
        self.touched.add(event.input.id.removeprefix("f-"))
        self._recheck()

    @on(RadioSet.Changed)
    def _source_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        self._show_source()
        self._recheck()

    def _recheck(self) -> None:
        profile, typed = self.entered()
        self._show_errors(self._problems(profile, None, for_test=False), every=False)
        fingerprint = self._fingerprint(profile, typed)
        if self.passed is not None and fingerprint != self.passed:
            self.passed = None
            self._result("Changed since the test passed: test again (ctrl+t) before saving.")
        elif self.failed_for is not None and fingerprint != self.failed_for:
            self.failed_for, self.failed = None, ""
            self._result("Changed since the test: not tested yet.")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_test()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "setup-test":
            self.action_test()
        elif event.button.id == "setup-save":
            self.action_save()

    # -- Test ------------------------------------------------------------------------------

    def action_test(self) -> None:
        if not self.form or self.saving:
            return
        profile, text = self.entered()
        typed = Secret(text) if text else None
        found = self._problems(profile, typed, for_test=True)
        self._show_errors(found, every=True)
        if found:
            self._result("Not tested: fix the fields marked.")
            self._focus_first(found)
            return
        self.passed = None
        self.failed_for, self.failed = None, ""
        self._result(Text(f"Testing: asking {profile.url} for the pending list…"))
        self.test_worker = self.run_test(profile, typed, self._fingerprint(profile, text))

    @work(exclusive=True, group="setup-test", exit_on_error=False)
    async def run_test(self, profile: NewProfile, typed: Secret | None, fingerprint: Fingerprint) -> None:
        """Ask the receiver for the pending list as the session would (the same client,
        built from the same settings), off the UI loop; show its answer."""
        try:
            await self._test(profile, typed, fingerprint)
        except Exception as exc:  # a bug: said here, not left as "Testing…" forever
            self._test_failed(fingerprint, f"internal error: {exc!r}")
            raise

    async def _test(self, profile: NewProfile, typed: Secret | None, fingerprint: Fingerprint) -> None:
        try:
            password = typed if typed is not None else await self._source_password(profile)
        except ConfigError as exc:
            self._test_failed(fingerprint, f"No password to test with: {exc}")
            return
        if typed is None and all(password.reveal() != known.reveal() for known in self._learned_now(profile)):
            self.learned.append((self._source_key(profile), password))
        found = self._problems(profile, password, for_test=False)  # what the command printed may be in a field
        if found:
            self._show_errors(found, every=True)
            self._test_failed(fingerprint, "Not tested: fix the fields marked.", failed=False)
            return
        settings = unsaved_settings(profile)
        try:
            client = ReceiverClient.from_settings(settings, password)
        except ClientConfigError as exc:
            self._test_failed(fingerprint, f"Not tested: {exc}")
            return
        answer: ReceiverAnswer | None = None
        async with client:
            async for event in client.pending(chunked=True):
                if isinstance(event, Retrying):
                    self._result(Text(f"Testing: {event.reason}; trying again in {event.delay:.0f} s…"))
                elif isinstance(event, ReceiverAnswer):
                    answer = event
        assert answer is not None  # the client ends every request with one
        profile_now, typed_now = self.entered()
        changed = self._fingerprint(profile_now, typed_now) != fingerprint
        if answer.outcome is Outcome.OK:
            self.passed = None if changed else fingerprint
            self._result(
                Text.assemble(
                    ("✓ Test passed: ", "bold"),
                    f"{client.address} answered the pending list: {answer.message} ({answer.elapsed:.1f} s). "
                    + (
                        "The fields changed while it ran: test again (ctrl+t) before saving."
                        if changed
                        else "Save (ctrl+o) writes the profile."
                    ),
                )
            )
        else:
            self._test_failed(fingerprint, f"{answer.outcome.label}: {answer.message}")

    async def _source_password(self, profile: NewProfile) -> Secret:
        if profile.source is PasswordSource.COMMAND:
            # Up to 10 s (a password manager may ask for its passphrase): off the loop.
            return await asyncio.to_thread(run_password_command, profile.name, profile.password_command)
        value = os.environ.get(profile.password_env, "")
        if not value:
            raise ConfigError(
                f"the environment variable {profile.password_env} is not set (or is empty) "
                "here; set it where ccnow-tui starts, or choose another source"
            )
        return Secret(value)

    def _test_failed(self, fingerprint: Fingerprint, words: str, *, failed: bool = True) -> None:
        self.passed = None
        self.failed_for, self.failed = fingerprint, words
        self._result(Text.assemble(("✗ Test failed: ", "bold"), words) if failed else Text(words))

    # -- Save ------------------------------------------------------------------------------

    def action_save(self) -> None:
        if not self.form or self.saving:
            return
        profile, text = self.entered()
        typed = Secret(text) if text else None
        found = self._problems(profile, typed, for_test=False)
        self._show_errors(found, every=True)
        if found:
            self._result("Nothing was written: fix the fields marked.")
            self._focus_first(found)
            return
        if self.test_worker is not None and not self.test_worker.is_finished:
            self._result("A test is running: wait for its answer, then save.")
            return
        fingerprint = self._fingerprint(profile, text)
        if fingerprint == self.passed:
            self.saving = True  # at once: a second ctrl+o read before the worker starts does nothing
            self.save(profile, typed, tested=True)
            return
        if fingerprint == self.failed_for:
            why = f"Its test failed ({self.failed})."
        else:
            why = "It has not passed a test (ctrl+t) as entered now."
        body = Text(
            f"{why}\n\nSave the profile {profile.name!r} to {self.config_file} anyway? ccnow-tui then starts with it."
        )

        def answered(yes: bool | None) -> None:
            if yes and not self.saving:
                self.saving = True
                self.save(profile, typed, tested=False)
            else:
                self._result("Nothing was written.")

        self.app.push_screen(
            ConfirmScreen("Save settings that have not passed a test?", Text(redact(body.plain)), yes="save anyway"),
            callback=answered,
        )

    @work(exclusive=True, group="setup-save", exit_on_error=False)
    async def save(self, profile: NewProfile, typed: Secret | None, *, tested: bool) -> None:
        """Write the profile, then resolve the file as the next start will; hand that on."""
        path = self.config_file
        try:
            await asyncio.to_thread(write_profile, path, profile, typed)
        except ConfigError as exc:
            self.saving = False
            self._result(Text.assemble(("Nothing was written: ", "bold"), str(exc)))
            return
        except Exception as exc:  # a bug: said here, not left hanging
            self.saving = False
            self._result(f"Saving failed (internal error: {exc!r}); check {path} before trying again.")
            raise
        try:
            # The password command runs again here, as at every start: off the loop.
            # The profile just saved, with the command line's options (as the next start
            # with them resolves it).
            overrides = (self.first_run or FirstRun()).overrides
            settings = await asyncio.to_thread(
                lambda: resolve_connection(load_config(path), profile.name, os.environ, overrides)
            )
        except ConfigError as exc:
            self.app.switch_screen(
                SetupScreen(
                    f"{path} is saved, but ccnow-tui cannot start with it yet:\n\n{exc}\n\n"
                    "Fix that (or edit the file), then start ccnow-tui again.",
                    title="Saved; not usable yet",
                )
            )
            return
        if settings.password is None and tested and typed is not None:
            # Accepted by the receiver a moment ago: not asked for a second time.
            settings = replace(settings, password=typed)
        self.dismiss(settings)


def shown_path(path: Path) -> str:
    """``path`` as the operator would type it: the home directory as ``~``."""
    try:
        return f"~/{path.relative_to(Path.home())}"
    except (ValueError, RuntimeError):  # not under it, or no home directory known
        return str(path)


def unsaved_settings(profile: NewProfile) -> ConnectionSettings:
    """The settings a profile will resolve to, for its test (the password comes apart)."""
    return ConnectionSettings(
        profile=profile.name,
        url=profile.url,
        client_id=profile.client_id,
        store_id=profile.store_id,
        password=None,
        timeout=DEFAULT_TIMEOUT,
        source="the setup form",
    )


class PasswordScreen(Screen[Secret | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Quit", key_display="esc", id="password.cancel", tooltip="Quit without connecting"),
    ]

    def __init__(self, settings: ConnectionSettings, error: str = "") -> None:
        super().__init__()
        self.settings = settings
        self.error = error  # why we ask again (the receiver refused the last one)

    def compose(self) -> ComposeResult:
        s = self.settings
        with Vertical(classes="dialog"):
            yield Label(Text("API password"), classes="title")
            yield Static(
                Text(
                    f"Profile {s.profile}: account {s.client_id} at {s.url}\n"
                    "The API password (not the backroom password). It is kept in memory only."
                )
            )
            yield FieldInput(password=True, placeholder="password", id="password", compact=True)
            yield Static(Text(self.error), id="password-error", classes="field-error")
            yield Static(Text("enter: connect   esc: quit"), classes="muted")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value:
            self.query_one("#password-error", Static).update("The password is required.")
            return
        self.dismiss(Secret(event.value))

    def action_cancel(self) -> None:
        self.dismiss(None)
