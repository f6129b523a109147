"""Sphinx configuration of sbmlcrn's documentation site (build it with scripts/build_docs.py).

The decisions behind it are on the site's front page, "About these docs" (docs/index.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

from sbmlcrn import __version__  # noqa: E402

project = "sbmlcrn"
author = "the sbmlcrn developers"
copyright = "the sbmlcrn developers"
release = __version__
version = __version__

extensions = [
    "myst_nb",  # Markdown pages and MyST Markdown notebooks (includes myst_parser)
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",  # numpy-style docstrings
    "cli_reference",  # docs/_ext/cli_reference.py: the CLI reference from the parser
]

exclude_patterns = ["_build", "_ext", "jupyter_execute", "**.ipynb_checkpoints"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}

# MyST: heading anchors so that links such as design.md#the-event-schedule resolve.
myst_heading_anchors = 4
myst_enable_extensions = ["colon_fence", "dollarmath"]

# Notebooks: executed at every build, in a fresh temporary directory, an error fails the build.
nb_execution_mode = "force"
nb_execution_raise_on_error = True
nb_execution_in_temp = True
nb_execution_timeout = 300  # seconds per cell
nb_execution_show_tb = True
nb_merge_streams = True

# API reference: numpy-style docstrings, type hints in the description.
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_ivar = True  # "Attributes" as fields: no second description of dataclass fields
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented"
autodoc_member_order = "bysource"
autodoc_default_options = {"show-inheritance": True}

html_theme = "furo"
html_title = f"sbmlcrn {__version__}"
html_show_sourcelink = False
