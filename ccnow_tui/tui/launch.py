"""From the command line to a running TUI: the settings, the embedded demo sandbox, the exit.

No textual here: the app class is handed in (``app.build_app`` and ``app.run_tui`` do),
so this module needs nothing of the app's and the app imports it, one way.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import load as config
from ..config.load import ConnectionSettings
from ..config.write import FirstRun
from ..protocol.redact import Secret
from ..storage.paths import PRIVATE_FILE_MODE, data_dir, ensure_private_dir

if TYPE_CHECKING:
    from ..sandbox.faults import Fault
    from ..sandbox.server import SandboxServer

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no file locks, so no sweeping of dead runs
    fcntl = None  # type: ignore[assignment]

DEMO_RUNS = "demo-runs"  # under the data directory: one folder per running --demo


class DemoRun:
    """The store directory of one ``--demo`` run: fresh, as its embedded sandbox is.

    Each run gets ``DATA/demo-runs/TOKEN/demo/`` (the store's folder is still called
    ``demo``) and holds ``DATA/demo-runs/TOKEN.lock`` locked while it lives, so two demos
    at once never share or remove each other's store. :meth:`end` removes the folder; a
    run that could not (killed, a power cut) is removed by the next demo to start, which
    finds its lock let go.
    """

    def __init__(self, root: Path, token: str, fd: int | None) -> None:
        self.root = root
        self.token = token
        self._fd = fd

    @property
    def folder(self) -> Path:
        return self.root / self.token

    @property
    def store_dir(self) -> Path:
        return self.folder / "demo"

    @classmethod
    def start(cls) -> DemoRun:
        root = ensure_private_dir(data_dir() / DEMO_RUNS)
        sweep_demo_runs(root)
        token = secrets.token_hex(8)
        # Locked under a temporary name, then renamed into place (as the store's owner
        # locks are): a sweeping demo never sees this run's lock file unlocked.
        tmp = root / f".{token}.tmp"
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_FILE_MODE)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.write(fd, f"{os.getpid()}\n".encode())
            os.rename(tmp, root / f"{token}.lock")
            run = cls(root, token, fd)
            ensure_private_dir(run.store_dir)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            (root / f"{token}.lock").unlink(missing_ok=True)
            raise
        return run

    def end(self) -> None:
        """Remove this run's store (call after its session closed it); idempotent."""
        if self._fd is None:
            return
        shutil.rmtree(self.folder, ignore_errors=True)
        try:
            (self.root / f"{self.token}.lock").unlink(missing_ok=True)
        finally:
            os.close(self._fd)  # closing lets go of the lock
            self._fd = None


def sweep_demo_runs(root: Path) -> list[str]:
    """Remove the folders of demo runs that are gone (their lock let go); return their tokens.

    A running demo's lock is held, so its folder is never touched.
    """
    if fcntl is None:  # pragma: no cover
        return []
    gone = []
    for lock in root.glob("*.lock"):
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:  # its run ended meanwhile
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # alive
            shutil.rmtree(root / lock.stem, ignore_errors=True)
            lock.unlink(missing_ok=True)
            gone.append(lock.stem)
        finally:
            os.close(fd)
    live = {lock.stem for lock in root.glob("*.lock")}
    for folder in root.iterdir():  # a folder whose lock is gone: its run ended but could not remove it
        if folder.is_dir() and not folder.name.startswith(".") and folder.name not in live:
            shutil.rmtree(folder, ignore_errors=True)
            gone.append(folder.name)
    return gone


# The runs of this process by their store folder: run_tui (and close_demo) ends them.
_RUNS: dict[Path, DemoRun] = {}


def close_demo(app: Any, server: DemoSandbox | None) -> None:
    """After the app has run: stop the demo's sandbox and remove the run's fresh store."""
    if server is not None:
        server.stop()
    settings = getattr(app, "settings", None)
    store_dir = getattr(settings, "store_dir", None)
    run = _RUNS.pop(store_dir, None) if store_dir is not None else None
    if run is not None:
        run.end()


def build_app(args: argparse.Namespace, app_class: Callable[..., Any]) -> tuple[Any, DemoSandbox | None]:
    """The app for ``args`` (the command line's namespace, cli/parsing.py), and the demo sandbox to stop afterwards."""
    if getattr(args, "demo", False):
        return _demo(args, app_class)
    overrides = config.command_line_overrides(args)
    try:
        loaded = config.load_config()  # looked up when called (tests replace config.load_config)
    except config.ConfigError as exc:
        return app_class(None, setup_message=str(exc)), None
    # [keys] applies whatever the profile, the setup screen's included. The app checks
    # it against its bindings: a ConfigError from app_class is run_tui's to say.
    profile = getattr(args, "profile", None)
    try:
        settings = config.resolve_connection(loaded, profile, os.environ, overrides)
    except config.ConfigError as exc:
        first = FirstRun(profile, overrides) if isinstance(exc, config.NotConfigured) else None
        return app_class(None, setup_message=str(exc), first_run=first, keys=loaded.keys), None
    # The first log line says where the URL and account came from (file, environment, options).
    return app_class(
        settings,
        notice=f"settings: {settings.source}",
        refresh_every=getattr(args, "refresh", None) or 0.0,
        keys=loaded.keys,
    ), None


class DemoSandbox:
    """The demo's embedded sandbox receiver: its socket bound at once, its server started
    after the queue's first frame.

    Binding first gives the session the receiver's URL before the app exists, and a
    request sent before the server starts waits in the socket's backlog. Loading the
    server and making its order book (about 25 ms of CPU) waits for :meth:`start`, which
    the app calls once the queue is on the screen, so the demo's first frame comes as
    soon as a real profile's.
    """

    HOST = "127.0.0.1"

    def __init__(self, password: Secret, faults: list[Fault]) -> None:
        from ..sandbox.address import listen, receiver_url

        self._password = password  # a Secret: no repr or crash report shows it
        self.listener = listen(self.HOST)
        self.url = receiver_url(self.HOST, self.listener.getsockname()[1])
        self._faults = faults
        self.server: SandboxServer | None = None  # once started
        self._stopped = False

    def start(self) -> None:
        """Serve (idempotent; nothing once stopped)."""
        if self.server is not None or self._stopped:
            return
        from ..sandbox.server import SandboxConfig, SandboxServer

        config = SandboxConfig(
            host=self.HOST,
            port=0,
            client_id="demo",
            password=self._password.reveal(),
            orders=40,
            seed=7,
            settle=30.0,
            arrivals=4.0,
            faults=self._faults,
            log=None,
        )
        try:
            self.server = SandboxServer(config).start(self.listener)
        except Exception as exc:  # the app says it in the log
            # Closed, so the list the queue asked for is refused at once (nothing was
            # applied: it is a read) rather than left waiting in the backlog to time out.
            self.listener.close()
            raise RuntimeError(f"the demo's sandbox receiver could not start ({type(exc).__name__}: {exc})") from exc

    @property
    def faults(self) -> list[Fault]:
        """The faults still active (those asked for, until the server starts)."""
        return self.server.faults if self.server is not None else list(self._faults)

    def stop(self) -> None:
        """Stop serving, or close the socket if it never served. Idempotent."""
        self._stopped = True
        if self.server is not None:
            self.server.stop()
        else:
            self.listener.close()


def _demo(args: argparse.Namespace, app_class: Callable[..., Any]) -> tuple[Any, DemoSandbox]:
    """``--demo``: an embedded sandbox receiver on a free port, and a session with it, on
    a store of this run's own (:class:`DemoRun`): the sandbox starts fresh, so does it."""
    from ..sandbox.faults import parse_fault

    faults = [parse_fault(f) for f in (getattr(args, "fault", None) or [])]
    # The operator's own keys in the demo too. The demo needs nothing else of the file: one
    # it cannot read is said in the log, and the demo runs with the keys as shipped (a
    # [keys] table it can read but that is wrong stops it, as it stops any start).
    unread = ""
    try:
        keys: config.KeyTable | None = config.load_config().keys
    except config.ConfigError as exc:
        keys, unread = None, f"; config.toml not read ({exc}): the keys are as shipped"
    # A fresh password per run: the embedded receiver is ours alone, and a password
    # equal to the profile name ("demo") would be masked wherever that word appears.
    password = Secret(secrets.token_urlsafe(12))
    server = DemoSandbox(password, faults)
    try:
        run = DemoRun.start()
    except BaseException:
        server.stop()
        raise
    _RUNS[run.store_dir] = run
    settings = ConnectionSettings(
        profile="demo",
        url=server.url,
        client_id="demo",
        store_id="",
        password=password,
        timeout=getattr(args, "timeout", None) or config.DEFAULT_TIMEOUT,
        source="--demo",
        store_dir=run.store_dir,
    )
    shown = ", ".join(str(f) for f in faults)
    notice = f"demo: embedded sandbox receiver at {server.url}" + (f", faults: {shown}" if shown else "") + unread
    refresh = getattr(args, "refresh", None)
    try:
        app = app_class(
            settings,
            notice=notice,
            refresh_every=15.0 if refresh is None else refresh,
            keys=keys,
            after_first_frame=server.start,
        )
    except BaseException:  # a [keys] table the app refuses: nothing of this run is left behind
        server.stop()
        _RUNS.pop(run.store_dir, None)
        run.end()
        raise
    return app, server


def run_tui(args: argparse.Namespace, app_class: Callable[..., Any]) -> int:
    """Run the TUI to its end; what it kept is said after the screen is restored."""
    try:
        app, server = build_app(args, app_class)
    except config.ConfigError as exc:  # [keys] (or, for --demo, the file) cannot be used: said before any screen
        print(f"ccnow-tui: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # a bad --fault
        print(f"ccnow-tui: {exc}", file=sys.stderr)
        return 2
    demo = getattr(getattr(app, "settings", None), "store_dir", None) is not None
    # The client's loop: a name lookup the receiver's name server never answers neither
    # outlives the request's timeout nor holds the exit (client.LookupLoop).
    from ..client import LookupLoop

    loop = LookupLoop()
    try:
        code = app.run(loop=loop)
    finally:
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()
            close_demo(app, server)
    failure = getattr(app, "start_failure", "")
    if failure:  # shown on the screen; said again once it is restored, for the scrollback and a wrapper
        print(f"ccnow-tui: {failure}", file=sys.stderr)
        return 2
    if demo and app.exit_message:  # "kept ... restored next time" is not so for a demo
        print(
            "ccnow-tui --demo: what this run staged or sent went with its sandbox; the next --demo starts afresh.",
            file=sys.stderr,
        )
    elif app.exit_message:
        print(app.exit_message, file=sys.stderr)
    return code if isinstance(code, int) else 0
