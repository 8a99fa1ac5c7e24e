"""The bundle upload's body: the archive itself, or (Connect 2025.12+) a streamed multipart
body with the archive and a `metadata` JSON field."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any


def upload_body(
    archive: IO[bytes],
    headers: Mapping[str, str],
    metadata: Mapping[str, str] | None,
) -> tuple[Any, dict[str, str]]:
    """The upload body and its headers: the archive itself, or a streamed multipart body."""
    if metadata is None:
        return archive, dict(headers)
    from requests_toolbelt import MultipartEncoder  # only multipart uploads need it

    encoder = MultipartEncoder(fields={
        "archive": ("bundle.tar.gz", archive, "application/gzip"),
        "metadata": json.dumps(dict(metadata), sort_keys=True),  # a plain form field
    })
    # The checksum header names the archive's bytes, not the multipart body's.
    return encoder, {"Content-Type": str(encoder.content_type),
                     "Content-Length": str(encoder.len)}
