"""The HTTP decisions of serving, written once as plain functions over request facts.

Nothing here does I/O or knows WSGI from ASGI: the adapters (``wsgi``, ``asgi``) turn a
request into a :class:`Request`, the logic of ``handler`` asks these functions what to
answer, and the adapters send it. Every rule of the wire lives here: validators
(``ETag``, ``Last-Modified``, ``If-None-Match``/``If-Modified-Since``/``If-Range``),
byte ranges, ``Content-Disposition`` (RFC 6266), the checks of a request path (no
traversal in any encoding), the bearer token, listings (JSON and an nginx-style HTML
index) and JSON errors, which never hold a secret, an exception's text or a path of the
server's disk.
"""

from __future__ import annotations

from .replies import (
    INDEX_HEADERS as INDEX_HEADERS,
)
from .replies import (
    INDEX_TAIL as INDEX_TAIL,
)
from .replies import (
    Reply as Reply,
)
from .replies import (
    entry_json as entry_json,
)
from .replies import (
    error_for as error_for,
)
from .replies import (
    error_reply as error_reply,
)
from .replies import (
    forbidden as forbidden,
)
from .replies import (
    index_head as index_head,
)
from .replies import (
    index_lines as index_lines,
)
from .replies import (
    json_reply as json_reply,
)
from .replies import (
    listing_json as listing_json,
)
from .replies import (
    method_not_allowed as method_not_allowed,
)
from .replies import (
    mount_entry as mount_entry,
)
from .replies import (
    not_found as not_found,
)
from .replies import (
    page_args as page_args,
)
from .replies import (
    redirect_to_folder as redirect_to_folder,
)
from .replies import (
    request_error_reply as request_error_reply,
)
from .replies import (
    shown_path as shown_path,
)
from .replies import (
    unauthorized as unauthorized,
)
from .replies import (
    wants_html as wants_html,
)
from .request import (
    CHUNK as CHUNK,
)
from .request import (
    INDEX_PAGE as INDEX_PAGE,
)
from .request import (
    MAX_PAGE_SIZE as MAX_PAGE_SIZE,
)
from .request import (
    PAGE_SIZE as PAGE_SIZE,
)
from .request import (
    ClientDisconnectedError as ClientDisconnectedError,
)
from .request import (
    Request as Request,
)
from .request import (
    RequestError as RequestError,
)
from .request import (
    Target as Target,
)
from .request import (
    below_root as below_root,
)
from .request import (
    check_path as check_path,
)
from .request import (
    check_token as check_token,
)
from .request import (
    content_length as content_length,
)
from .request import (
    decode_wsgi_path as decode_wsgi_path,
)
from .request import (
    parse_target as parse_target,
)
from .request import (
    raw_path_ok as raw_path_ok,
)
from .request import (
    reason as reason,
)
from .request import (
    token_ok as token_ok,
)
from .request import (
    upload_mismatch as upload_mismatch,
)
from .validators import (
    UNSATISFIABLE as UNSATISFIABLE,
)
from .validators import (
    Span as Span,
)
from .validators import (
    byte_range as byte_range,
)
from .validators import (
    check_serve_options as check_serve_options,
)
from .validators import (
    content_disposition as content_disposition,
)
from .validators import (
    etag_of as etag_of,
)
from .validators import (
    file_headers as file_headers,
)
from .validators import (
    headers_for_304 as headers_for_304,
)
from .validators import (
    http_date as http_date,
)
from .validators import (
    media_type as media_type,
)
from .validators import (
    not_modified as not_modified,
)
