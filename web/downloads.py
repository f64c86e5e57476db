"""Sending a stored file (evidence, objection evidence, a certificate PDF) to a user the view
has already allowed to have it.

The file is streamed through the app from whichever store holds it, the local directory or the
S3 bucket, rather than by redirecting to a presigned URL: the bucket stays private and need not
be reachable from users' browsers, every download passes the access check at the moment it is
made (a presigned URL keeps working for whoever holds it until it expires), and the file name
and content type are set here the same way for both stores. Files are small (uploads are capped
by MAX_UPLOAD_MB, a certificate is about 400 KB), so a web worker is not held for long.
"""
from __future__ import annotations

import logging

from flask import Response, request, send_file

from workflow import runtime
from workflow.errors import NotFound

log = logging.getLogger(__name__)


def send_stored(key: str, *, mimetype: str, download_name: str, as_attachment: bool = True) -> Response:
    try:
        stored = runtime.current().storage.open(key)
    except FileNotFoundError:
        log.error("the record names the stored file %s, but the file store does not have it", key)
        raise NotFound("文件不存在") from None
    response = send_file(stored.stream, mimetype=mimetype, as_attachment=as_attachment,
                         download_name=download_name, etag=stored.etag, last_modified=stored.modified,
                         conditional=False)
    response.content_length = stored.size
    return response.make_conditional(request, accept_ranges=True, complete_length=stored.size)
