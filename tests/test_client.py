"""ConnectClient through the requests transport seam: a FakeAdapter mounted on the Session."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import logging
import tarfile
from collections.abc import Callable
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter

from connectfile.errors import ConnectApiError
from connectfile.remote.client import ConnectClient, make_session

SERVER = "https://connect.test"
KEY = "sekrit-api-key-123"

Handler = Callable[[requests.PreparedRequest], "tuple[int, Any] | Exception"]


class FakeAdapter(BaseAdapter):
    """Answers every request with `handler(request)`; records what was sent."""

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler
        self.requests: list[requests.PreparedRequest] = []
        self.bodies: list[bytes] = []
        self.timeouts: list[Any] = []

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        self.requests.append(request)
        self.timeouts.append(kwargs.get("timeout"))
        body = request.body
        if hasattr(body, "read"):
            body = body.read()
        self.bodies.append(body.encode() if isinstance(body, str) else (body or b""))
        answer = self.handler(request)
        if isinstance(answer, Exception):
            raise answer
        status, payload = answer
        response = requests.Response()
        response.status_code = status
        response.request = request
        response.url = request.url or ""
        if isinstance(payload, bytes):
            response.raw = io.BytesIO(payload)
        else:
            response.raw = io.BytesIO(json.dumps(payload).encode() if payload is not None else b"")
            response.headers["Content-Type"] = "application/json"
        return response

    def close(self) -> None:
        pass


def make(handler: Handler, **kwargs: Any) -> tuple[ConnectClient, FakeAdapter]:
    session = make_session(KEY)
    adapter = FakeAdapter(handler)
    session.mount(SERVER, adapter)
    return ConnectClient(SERVER, session=session, sleep=lambda s: None, **kwargs), adapter


def test_auth_user_agent_and_timeouts() -> None:
    client, adapter = make(lambda r: (200, {"guid": "u1", "username": "ann"}))
    assert client.current_user()["guid"] == "u1"
    sent = adapter.requests[0]
    assert sent.url == f"{SERVER}/__api__/v1/user"
    assert sent.headers["Authorization"] == f"Key {KEY}"
    assert sent.headers["User-Agent"].startswith("connectfile/")
    connect, read = adapter.timeouts[0]
    assert connect > 0 and read > 0


def test_connect_error_body_becomes_one_exception_without_the_key() -> None:
    body = {"code": 22, "error": "You don't have permission to perform this operation.",
            "payload": None}
    client, _ = make(lambda r: (403, body))
    with pytest.raises(ConnectApiError) as info:
        client.patch_content("g1", {"title": "x"})
    exc = info.value
    assert (exc.status, exc.code, exc.method) == (403, 22, "PATCH")
    assert "permission" in exc.message
    assert KEY not in str(exc) and KEY not in repr(exc) and KEY not in repr(client)
    assert KEY not in repr(client.session.auth)


def test_plain_text_404_is_reported() -> None:
    client, _ = make(lambda r: (404, b"404 page not found"))
    with pytest.raises(ConnectApiError, match="404 page not found"):
        client.python_settings()


def test_get_content_404_is_none() -> None:
    client, _ = make(lambda r: (404, {"code": 4, "error": "The requested object does not exist."}))
    assert client.get_content("nope") is None


def test_reads_retry_on_502_and_connection_errors() -> None:
    answers: list[Any] = [(502, b"bad gateway"), requests.ConnectionError("reset"),
                          (200, ["A", "B"])]
    client, adapter = make(lambda r: answers.pop(0))
    assert client.get_env_names("g1") == frozenset({"A", "B"})
    assert len(adapter.requests) == 3


def test_idempotent_writes_retry_but_post_does_not() -> None:
    answers: list[Any] = [(503, b""), (200, {"guid": "g1"})]
    client, adapter = make(lambda r: answers.pop(0))
    assert client.patch_content("g1", {"title": "T"}) == {"guid": "g1"}
    assert len(adapter.requests) == 2

    client, adapter = make(lambda r: (400, {"code": 3, "error": "bad id"}))
    with pytest.raises(ConnectApiError) as info:
        client.deploy("g1", "7")
    assert info.value.status == 400
    assert len(adapter.requests) == 1


def test_upload_answer_lost_is_found_by_md5_not_uploaded_twice(tmp_path: Any) -> None:
    bundle = tmp_path / "b.tar.gz"
    bundle.write_bytes(b"bundle bytes")
    md5 = hashlib.md5(b"bundle bytes").hexdigest()

    def handler(r: requests.PreparedRequest) -> Any:
        if r.method == "POST":
            return requests.ReadTimeout("the answer was lost")
        return (200, [{"id": "5", "metadata": {"archive_md5": "other"}},
                      {"id": "6", "metadata": {"archive_md5": md5}}])

    client, adapter = make(handler)
    assert client.upload_bundle("g1", bundle, md5) == "6"
    assert [r.method for r in adapter.requests] == ["POST", "GET"]


def test_upload_retries_a_gateway_error_with_the_whole_body(tmp_path: Any) -> None:
    bundle = tmp_path / "b.tar.gz"
    bundle.write_bytes(b"bundle bytes")
    answers: list[Any] = [(502, b"<html>bad gateway</html>"), (200, []), (200, {"id": "9"})]
    client, adapter = make(lambda r: answers.pop(0))
    assert client.upload_bundle("g1", bundle, hashlib.md5(b"x").hexdigest()) == "9"
    assert adapter.bodies[-1] == b"bundle bytes"


def test_lost_deploy_answer_is_resolved_by_reading_the_content() -> None:
    """The deploy started (the content now runs bundle 7): it is not sent a second time."""
    def handler(r: requests.PreparedRequest) -> Any:
        if r.method == "POST":
            return requests.ConnectionError("connection aborted")  # after the request went out
        return (200, {"guid": "g1", "bundle_id": "7"})

    client, adapter = make(handler, deploy_settle=0)
    assert client.deploy("g1", "7") is None
    assert [r.method for r in adapter.requests] == ["POST", "GET"]


def test_lost_deploy_that_never_started_is_sent_again_after_the_settle_wait() -> None:
    answers: list[Any] = [(504, b"gateway timeout"), (200, {"guid": "g1", "bundle_id": "6"}),
                          (202, {"task_id": "T1"})]
    client, adapter = make(lambda r: answers.pop(0), deploy_settle=0)
    assert client.deploy("g1", "7") == "T1"
    assert [r.method for r in adapter.requests] == ["POST", "GET", "POST"]


def test_connect_own_503_is_retried_without_waiting_for_the_content() -> None:
    answers: list[Any] = [(503, {"code": 1, "error": "starting up"}), (202, {"task_id": "T2"})]
    client, adapter = make(lambda r: answers.pop(0))
    assert client.deploy("g1", "7") == "T2"
    assert [r.method for r in adapter.requests] == ["POST", "POST"]


def test_retry_after_is_honoured_and_backoff_is_jittered() -> None:
    from connectfile.remote.retry import delay, retry_after

    waits: list[float] = []
    answers: list[Any] = [(503, b"busy"), (200, ["A"])]

    def handler(r: requests.PreparedRequest) -> Any:
        return answers.pop(0)

    session = make_session(KEY)
    adapter = FakeAdapter(handler)
    session.mount(SERVER, adapter)
    original = adapter.send

    def send(request: requests.PreparedRequest, *a: Any, **k: Any) -> Any:
        response = original(request, *a, **k)
        if response.status_code == 503:
            response.headers["Retry-After"] = "7"
        return response

    adapter.send = send  # type: ignore[method-assign]
    client = ConnectClient(SERVER, session=session, sleep=waits.append)
    assert client.get_env_names("g1") == frozenset({"A"})
    assert waits == [7.0]
    assert retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert len({round(delay(2, 0.5), 6) for _ in range(20)}) > 1
    assert all(1.0 <= delay(2, 0.5) <= 3.0 for _ in range(50))


def test_retries_give_up_with_a_clear_message() -> None:
    client, adapter = make(lambda r: requests.ReadTimeout("slow"), retries=2)
    with pytest.raises(ConnectApiError, match="did not answer in time") as info:
        client.server_settings()
    assert info.value.status == 0
    assert len(adapter.requests) == 3


def test_lost_create_is_looked_up_by_name_before_retrying() -> None:
    created: list[str] = []

    def handler(r: requests.PreparedRequest) -> Any:
        if r.method == "POST":
            created.append("x")
            return requests.ReadTimeout("answer lost")  # the server did create it
        assert r.url is not None and "name=sales" in r.url and "owner_guid=u1" in r.url
        return (200, [{"guid": "g9", "name": "sales"}])

    client, _ = make(handler)
    assert client.create_content({"name": "sales"}, owner_guid="u1")["guid"] == "g9"
    assert created == ["x"]


def test_lost_create_not_found_is_sent_again() -> None:
    answers: list[Any] = [requests.ConnectionError("refused"), (200, []),
                          (200, {"guid": "g2", "name": "sales"})]
    client, adapter = make(lambda r: answers.pop(0))
    assert client.create_content({"name": "sales"}, owner_guid="u1")["guid"] == "g2"
    assert [r.method for r in adapter.requests] == ["POST", "GET", "POST"]


def test_env_patch_body_and_values_stay_out_of_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="connectfile")
    answers: list[Any] = [(502, b""), (200, ["A"])]
    client, adapter = make(lambda r: answers.pop(0))
    client.patch_env("g1", {"B": None, "A": "hunter2"})
    assert json.loads(adapter.bodies[-1]) == [{"name": "A", "value": "hunter2"},
                                              {"name": "B", "value": None}]
    assert "hunter2" not in caplog.text


def test_upload_streams_file_with_length_and_checksum(tmp_path: Any) -> None:
    data = b"not really a tarball" * 100
    path = tmp_path / "b.tar.gz"
    path.write_bytes(data)
    client, adapter = make(lambda r: (200, {"id": "12", "content_guid": "g1"}))
    assert client.upload_bundle("g1", path, hashlib.md5(data).hexdigest()) == "12"
    sent = adapter.requests[0]
    assert sent.headers["Content-Length"] == str(len(data))
    assert sent.headers["X-Content-Checksum"] == base64.b64encode(
        hashlib.md5(data).digest()).decode()
    assert adapter.bodies[0] == data


def test_deploy_sends_activate_only_when_false() -> None:
    client, adapter = make(lambda r: (202, {"task_id": "T1"}))
    assert client.deploy("g1", "3") == "T1"
    client.deploy("g1", "4", activate=False)
    assert json.loads(adapter.bodies[0]) == {"bundle_id": "3"}
    assert json.loads(adapter.bodies[1]) == {"bundle_id": "4", "activate": False}


def test_task_wait_extends_read_timeout() -> None:
    client, adapter = make(lambda r: (200, {"id": "T", "output": [], "last": 0,
                                            "finished": False}))
    client.get_task("T", first=3, wait=5)
    assert adapter.requests[0].url == f"{SERVER}/__api__/v1/tasks/T?first=3&wait=5"
    assert adapter.timeouts[0][1] >= client.read_timeout + 5


def _tarball(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_manifest_read_from_bundle_stream() -> None:
    manifest = {"version": 1, "metadata": {"appmode": "python-fastapi"}}
    blob = _tarball([("./manifest.json", json.dumps(manifest).encode()),
                     ("big.bin", b"x" * 100_000)])
    client, adapter = make(lambda r: (200, blob))
    assert client.download_bundle_manifest("g1", "5") == manifest
    assert adapter.requests[0].url == f"{SERVER}/__api__/v1/content/g1/bundles/5/download"


def test_manifest_missing_or_garbage_is_none() -> None:
    client, _ = make(lambda r: (200, _tarball([("app.py", b"print()")])))
    assert client.download_bundle_manifest("g1", "5") is None
    client, _ = make(lambda r: (200, gzip.compress(b"not a tar")))
    assert client.download_bundle_manifest("g1", "5") is None


def test_vanity_absent_is_none_and_get_url_returns_status() -> None:
    client, _ = make(lambda r: (404, {"code": 4, "error": "nope"}))
    assert client.get_vanity("g1") is None
    client, adapter = make(lambda r: (500, b"boom"), retries=0)
    assert client.get_url("/content/g1/_bundle3/") == 500
    assert adapter.requests[0].url == f"{SERVER}/content/g1/_bundle3/"


def test_insecure_session_warns_and_disables_verification(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="connectfile"):
        session = make_session(KEY, insecure=True)
    assert session.verify is False
    assert "verification is off" in caplog.text
    assert make_session(KEY, ca_bundle="/etc/ca.pem").verify == "/etc/ca.pem"
    assert make_session(KEY).verify is True
