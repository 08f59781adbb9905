"""Sphinx configuration: Markdown pages (MyST) plus the API reference from docstrings."""

project = "genro-storage"
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
autodoc_member_order = "bysource"
html_theme = "alabaster"
