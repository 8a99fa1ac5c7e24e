"""`Emulator`: the store, the app and a threaded HTTP server, started and stopped in-process."""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from connectfile.emulator import clock, environment, oidc, people, users
from connectfile.emulator.app import EmulatorApp
from connectfile.emulator.context import DEFAULT_VERSION, Settings, default_python_versions
from connectfile.emulator.faults import Faults
from connectfile.emulator.store import Store
from connectfile.emulator.tasks import TaskRunner

# `strict_bundles=None` follows this variable ("1": strict), so a whole test run, including the
# emulators `server = "local"` targets start, can be made strict in one place.
STRICT_ENV = "CONNECTFILE_EMULATOR_STRICT_BUNDLES"


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class Emulator:
    """A Connect double serving `data_dir` on `host:port` (port 0: any free port)."""

    def __init__(self, data_dir: Path, *, api_key: str | None = None,
                 python_versions: Sequence[str] | None = None, host: str = "127.0.0.1",
                 port: int = 0, version: str = DEFAULT_VERSION,
                 python_matching: str = "minor", task_step_delay: float = 0.05,
                 allow_periods_in_names: bool = True, manifest_errors_at_upload: bool = False,
                 strict_bundles: bool | None = None, bundle_retention_limit: int = 0,
                 log_requests: bool = False) -> None:
        if python_matching not in ("minor", "exact"):
            raise ValueError("python_matching must be 'minor' or 'exact'")
        self.data_dir = Path(data_dir)
        self.host, self.port = host, port
        self.settings = Settings(
            version=version,
            python_versions=list(python_versions) if python_versions
            else default_python_versions(),
            python_matching=python_matching, task_step_delay=task_step_delay,
            allow_periods_in_names=allow_periods_in_names,
            manifest_errors_at_upload=manifest_errors_at_upload,
            strict_bundles=strict_bundles if strict_bundles is not None
            else os.environ.get(STRICT_ENV) == "1",
            bundle_retention_limit=bundle_retention_limit)
        self.store = Store(self.data_dir)
        self.faults = Faults(self.data_dir)
        self.faults.load_file()
        self.tasks = TaskRunner()
        self.app = EmulatorApp(self.store, self.settings, self.tasks, self.faults)
        # The administrator's key is fresh on every start unless one is given; only its hash
        # is stored (keys never land in the data dir).
        self.api_key = api_key or clock.new_api_key()
        with self.store.mutate() as state:
            users.set_only_key(state, users.BOOTSTRAP_ADMIN, "administrator", self.api_key)
        self._log_requests = log_requests
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return f"http://{self.host}:{self._server.server_port}"

    def add_user(self, username: str, role: str) -> str:
        """Create a user (administrator, publisher or viewer) and return a new API key for it."""
        key = clock.new_api_key()
        with self.store.mutate() as state:
            users.add_user(state, username, role, key)
        return key

    def add_group(self, name: str, members: Sequence[str] = ()) -> str:
        """Create a group owned by the administrator with these usernames; return its guid."""
        with self.store.mutate() as state:
            by_name = {u["username"]: g for g, u in state["users"].items()}
            group = people.add_group(state, name, by_name[users.BOOTSTRAP_ADMIN])
            group["members"] = [by_name[m] for m in members]
            return str(group["guid"])

    def env_value_is(self, content_guid: str, name: str, value: str) -> bool:
        """Whether the content's variable `name` was set to `value` (only digests are kept)."""
        with self.store.read() as state:
            stored = state["env"].get(content_guid, {}).get(name)
            if stored is None:
                return False
            return stored == environment.value_digest(state, value)  # type: ignore[no-any-return]

    def trust_issuer(self, *, issuer: str, audience: str, public_key_pem: str, subject: str,
                     content_guids: Sequence[str]) -> None:
        """Let tokens of `issuer` (RS256, this public key) for `audience` and `subject` be
        exchanged for a key of a service principal granted `content_guids`."""
        with self.store.mutate() as state:
            oidc.trust(state, issuer=issuer, audience=audience, public_key_pem=public_key_pem,
                       subject=subject, content_guids=list(content_guids))

    def set_token_exchange(self, enabled: bool) -> None:
        """Whether discovery offers (and the token endpoint accepts) token exchange."""
        with self.store.mutate() as state:
            oidc.set_exchange(state, enabled)

    def set_user(self, username: str, *, locked: bool | None = None,
                 confirmed: bool | None = None) -> None:
        """Lock/unlock or (un)confirm a user, to test clients' refusals (connect-api.md §3)."""
        with self.store.mutate() as state:
            users.set_flags(state, username, locked=locked, confirmed=confirmed)

    def start(self) -> Emulator:
        if self._server is not None:
            return self
        handler = WSGIRequestHandler if self._log_requests else _QuietHandler
        self._server = make_server(self.host, self.port, self.app, threaded=True,
                                   request_handler=handler)
        # A short poll interval keeps stop() fast (the default waits up to 0.5 s).
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="connectfile-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.tasks.join(timeout=5)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "stopped"
        return f"Emulator({str(self.data_dir)!r}, {where})"

    def state(self) -> dict[str, Any]:
        """A copy of the stored state, for tests."""
        with self.store.read() as state:
            return copy.deepcopy(state)
