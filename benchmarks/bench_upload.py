"""Upload a SIZE MiB bundle (default 1024) as a multipart body with git metadata, as on
Connect 2025.12+, and report time and the client's peak RSS.

Run: python benchmarks/bench_upload.py [--size-mib 1024]

The server is a sink in its own process that reads the body in chunks and throws it away,
so the figure is the client's alone (ru_maxrss of this process, interpreter included). The
multipart body is streamed from disk (requests-toolbelt's MultipartEncoder), so the peak
should stay flat whatever the size. Not a test: no thresholds, just figures for the README.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from connectfile.remote.client import ConnectClient
from connectfile.remote.tls import make_session

CHUNK = 1 << 20
SINK = r'''
import http.server, json, sys
class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        left = int(self.headers["Content-Length"])
        while left:
            left -= len(self.rfile.read(min(left, 1 << 20)))
        body = json.dumps({"id": "1"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Sink)
print(server.server_address[1], flush=True)
server.serve_forever()
'''


def rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="connectfile-bench-upload-"))
    sink = subprocess.Popen([sys.executable, "-c", SINK], stdout=subprocess.PIPE, text=True)
    try:
        assert sink.stdout is not None
        port = int(sink.stdout.readline())
        bundle = root / "big.tar.gz"
        md5 = hashlib.md5(usedforsecurity=False)
        with bundle.open("wb") as f:
            for _ in range(args.size_mib):
                block = os.urandom(CHUNK)
                md5.update(block)
                f.write(block)
        client = ConnectClient(f"http://127.0.0.1:{port}", session=make_session("bench"))
        metadata = {"source": "git", "source_repo": "https://git.example.com/acme/apps.git",
                    "source_branch": "main", "source_commit": "0f24c1a" * 5 + "0f24c1a0"}
        before = rss_mib()
        start = time.perf_counter()
        client.upload_bundle("guid", bundle, md5.hexdigest(), metadata=metadata)
        done = time.perf_counter()
        print(f"multipart upload of {args.size_mib} MiB: {done - start:.1f} s")
        print(f"peak RSS: {rss_mib():.0f} MiB (before the upload: {before:.0f} MiB)")
    finally:
        sink.terminate()
        sink.wait()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
