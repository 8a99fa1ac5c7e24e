"""The WSGI application: Connect's routes, error bodies, and fault injection in front."""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from connectfile.emulator import (
    bundles,
    content,
    deploy,
    environment,
    lockfile,
    pages,
    settings,
    tasks,
    vanity,
)
from connectfile.emulator.context import Ctx, Settings, error_response, json_response
from connectfile.emulator.errors import ApiError, NoRoute
from connectfile.emulator.faults import Faults
from connectfile.emulator.store import Store
from connectfile.emulator.tasks import TaskRunner

log = logging.getLogger(__name__)

Handler = Callable[..., Response]
_C = "/__api__/v1/content/<guid>"

ROUTES: list[tuple[str, str, Handler]] = [
    ("/__api__/server_settings", "GET", settings.server_settings),
    ("/__api__/v1/server_settings/python", "GET", settings.python_settings),
    ("/__api__/v1/user", "GET", settings.current_user),
    ("/__api__/v1/users/<guid>", "GET", settings.get_user),
    ("/__api__/v1/content", "GET", content.list_content),
    ("/__api__/v1/content", "POST", content.create),
    (_C, "GET", content.get),
    (_C, "PATCH", content.update),
    (_C, "DELETE", content.delete),
    (f"{_C}/bundles", "GET", bundles.list_bundles),
    (f"{_C}/bundles", "POST", bundles.upload),
    (f"{_C}/bundles/<bundle_id>", "GET", bundles.get),
    (f"{_C}/bundles/<bundle_id>", "DELETE", bundles.delete),
    (f"{_C}/bundles/<bundle_id>/download", "GET", bundles.download),
    (f"{_C}/deploy", "POST", deploy.deploy),
    (f"{_C}/lockfile", "GET", lockfile.get),
    ("/__api__/v1/tasks/<task_id>", "GET", tasks.get_task),
    (f"{_C}/environment", "GET", environment.get),
    (f"{_C}/environment", "PUT", environment.put),
    (f"{_C}/environment", "PATCH", environment.patch),
    (f"{_C}/vanity", "GET", vanity.get),
    (f"{_C}/vanity", "PUT", vanity.put),
    (f"{_C}/vanity", "DELETE", vanity.delete),
    ("/content/<guid>/", "GET", pages.content_page),
    ("/content/<guid>/_bundle<bundle_id>/", "GET", pages.draft_page),
]


def _url_map() -> Map:
    rules = [Rule(path, methods=[method], endpoint=handler) for path, method, handler in ROUTES]
    # Connect's router does not redirect missing trailing slashes.
    return Map(rules, strict_slashes=False, merge_slashes=False)


def _not_found() -> Response:
    # Connect's Go router answers unknown routes in plain text (connect-api.md §1.3).
    return Response("404 page not found\n", status=404, content_type="text/plain; charset=utf-8")


class EmulatorApp:
    """A WSGI callable serving one emulator's store."""

    def __init__(self, store: Store, config: Settings, tasks_: TaskRunner, faults: Faults) -> None:
        self.store, self.settings, self.tasks, self.faults = store, config, tasks_, faults
        self.url_map = _url_map()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        action = self.faults.action_for(request.method, request.path)
        if action.delay:
            time.sleep(action.delay)
        if action.drop:
            return _drop(environ, request)
        if action.fail is not None:
            rule = action.fail
            message = rule.message or f"Injected fault: HTTP {rule.status}."
            response = json_response({"code": rule.code, "error": message, "payload": None},
                                     rule.status)
        else:
            response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            handler, args = adapter.match()
        except NotFound:
            page = None
            if request.method == "GET" and not request.path.startswith("/__api__/"):
                ctx = Ctx(request, self.store, self.settings, self.tasks, self.faults)
                page = pages.vanity_page(ctx, request.path)
            return page or _not_found()
        except MethodNotAllowed:
            # Go's router: 405 with an empty body [inferred].
            return Response(status=405)
        ctx = Ctx(request, self.store, self.settings, self.tasks, self.faults)
        try:
            return handler(ctx, **args)  # type: ignore[no-any-return]
        except ApiError as err:
            return error_response(err)
        except NoRoute:
            return _not_found()
        except Exception:
            log.exception("emulator bug while serving %s %s", request.method, request.path)
            return error_response(ApiError(1))


def _drop(environ: dict[str, Any], request: Request) -> Iterable[bytes]:
    request.get_data()  # the client has sent everything; now it never hears back
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    raise ConnectionAbortedError("connection dropped by an injected fault")
