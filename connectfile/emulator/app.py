"""The WSGI application: Connect's routes, error bodies, and fault injection in front."""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import ClientDisconnected, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from connectfile.emulator import (
    bundles,
    content,
    deploy,
    environment,
    legacy,
    lockfile,
    oidc,
    pages,
    people,
    permissions,
    settings,
    tags,
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

_G = "/__api__/v1/groups/<guid>"

ROUTES: list[tuple[str, str, Handler]] = [
    ("/__ping__", "GET", settings.ping),
    ("/.well-known/oauth-authorization-server", "GET", oidc.discovery),
    (oidc.TOKEN_PATH, "POST", oidc.token),
    ("/__api__/server_settings", "GET", settings.server_settings),
    ("/__api__/server_settings/applications", "GET", settings.applications),
    ("/__api__/server_settings/scheduler", "GET", settings.scheduler),
    ("/__api__/server_settings/scheduler/<app_mode>", "GET", settings.scheduler),
    ("/__api__/v1/server_settings/python", "GET", settings.python_settings),
    ("/__api__/v1/server_settings/r", "GET", settings.r_settings),
    ("/__api__/v1/server_settings/quarto", "GET", settings.quarto_settings),
    ("/__api__/v1/server_settings/nodejs", "GET", settings.nodejs_settings),
    ("/__api__/applications/<app_id>", "GET", legacy.get),
    ("/__api__/v1/user", "GET", settings.current_user),
    ("/__api__/v1/users", "GET", people.list_users),
    ("/__api__/v1/users/<guid>", "GET", settings.get_user),
    ("/__api__/v1/groups", "GET", people.list_groups),
    ("/__api__/v1/groups", "POST", people.create_group),
    (_G, "GET", people.get_group),
    (_G, "DELETE", people.delete_group),
    (f"{_G}/members", "GET", people.members),
    (f"{_G}/members", "POST", people.add_member),
    (f"{_G}/members/<user_guid>", "DELETE", people.remove_member),
    ("/__api__/v1/tags", "GET", tags.list_tags),
    ("/__api__/v1/tags", "POST", tags.create),
    ("/__api__/v1/tags/<tag_id>", "GET", tags.get),
    ("/__api__/v1/tags/<tag_id>", "PATCH", tags.update),
    ("/__api__/v1/tags/<tag_id>", "DELETE", tags.delete),
    ("/__api__/v1/tags/<tag_id>/content", "GET", tags.tag_content),
    ("/__api__/v1/vanities", "GET", vanity.list_all),
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
    (f"{_C}/build", "POST", deploy.build),
    (f"{_C}/tags", "GET", tags.content_tags),
    (f"{_C}/tags", "POST", tags.add_content_tag),
    (f"{_C}/tags/<tag_id>", "DELETE", tags.remove_content_tag),
    (f"{_C}/permissions", "GET", permissions.list_permissions),
    (f"{_C}/permissions", "POST", permissions.create),
    (f"{_C}/permissions/<perm_id>", "GET", permissions.get),
    (f"{_C}/permissions/<perm_id>", "PUT", permissions.update),
    (f"{_C}/permissions/<perm_id>", "DELETE", permissions.delete),
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


# Out of scope, as on a server without these features: the router's plain 404 (any path not
# in ROUTES gets it): OAuth integrations (`/v1/oauth/...`, content `/oauth/...`), packages
# (`/v1/packages`, content `/packages`), system caches (`/v1/system/caches/...`), jobs
# (content `/jobs...`), execution environments (`/v1/environments`).


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
        if action.lose:
            self.dispatch(request)
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
        except ClientDisconnected:  # the body ended before its Content-Length
            return error_response(ApiError(87, "The request body was cut off before its end."))
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
