# Sphinx: the Python binding's reference from its docstrings (autodoc).
# Built by the `docs_python` test with -W (a warning fails it) and by
# `ninja -C build docs`. Importing wsc does not load libwsc (it loads on first
# use), so no built library is needed here.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "bindings", "python"))

project = "wsc"
# version and release come from meson (-D on the sphinx-build command line).
# The docstrings are Google style (Args:, Returns:, Raises:).
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
html_theme = "alabaster"
