"""Sphinx configuration: Markdown pages (MyST) plus the API reference from docstrings."""

import sys
from pathlib import Path

# Document this checkout's package, whatever the current directory or installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

project = "genro-storage"
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
autodoc_member_order = "bysource"
html_theme = "alabaster"


def _own_init_signature(app, what, name, obj, options, signature, return_annotation):
    """Show a class's own ``__init__`` parameters where a base's ``__new__`` (traitlets',
    under the explorer's ``VBox``) would otherwise make autodoc show ``(*args, **kwargs)``."""
    from sphinx.util.inspect import signature as signature_of
    from sphinx.util.inspect import stringify_signature

    if what != "class" or not (signature or "").startswith("(*args"):
        return None
    init = obj.__dict__.get("__init__")
    if init is None:
        return None
    own = signature_of(init, bound_method=True)
    return stringify_signature(own, show_return_annotation=False), return_annotation


def setup(app):
    app.connect("autodoc-process-signature", _own_init_signature)
