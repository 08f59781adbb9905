"""Serving nodes and mounts over HTTP: one file (``serve_wsgi``, ``serve_asgi``) or whole
mounts (``wsgi_app``, ``asgi_app``).

The HTTP decisions are written once in ``rules`` (plain functions) and ``handler``
(logic over the public node API, run by the sync or the async driver); ``wsgi`` and
``asgi`` only adapt. See docs/serving.md.
"""

from .asgi import ASGIApp, asgi_app, serve_asgi
from .wsgi import WSGIApp, serve_wsgi, wsgi_app

__all__ = ["ASGIApp", "WSGIApp", "asgi_app", "serve_asgi", "serve_wsgi", "wsgi_app"]
