"""The HTML of a report: the executed notebook without code, in one self-contained file.

The page is nbconvert's ``lab`` template with every script that would load from
the network left out (require.js, MathJax, Mermaid, the widget manager): the
reports draw their charts as embedded PNG images and need no JavaScript, so the
file reads the same offline, mailed, or archived.
"""

from __future__ import annotations

import html
import logging
import os
from importlib.resources import files
from pathlib import Path
from typing import Any

from aiopex.atomic import write_text

#: Our nbconvert template (``templates/report.html.j2``): the ``lab`` one without scripts.
TEMPLATE = "report.html.j2"


def export_html(
    notebook: str | os.PathLike[str],
    html_path: str | os.PathLike[str],
    title: str | None = None,
) -> Path:
    """Write the executed ``notebook`` as a self-contained HTML report without code.

    Code cells' inputs and prompts are left out; outputs (tables, charts as
    base64-embedded PNG, and any error) and Markdown are kept; no script is loaded
    from anywhere. ``title`` is the page title (default: the notebook's file name).
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    quiet = logging.getLogger("aiopex.batch.nbconvert")
    quiet.setLevel(logging.ERROR)  # not "alternative text is missing", set below
    exporter = HTMLExporter(
        template_name="lab",
        template_file=TEMPLATE,
        extra_template_paths=[str(files("aiopex.batch") / "templates")],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        log=quiet,
    )
    title = title or Path(notebook).stem
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    body = _image_alt_text(nb, body)
    html_path = Path(html_path)
    write_text(html_path, body)
    return html_path


_MISSING_ALT = 'alt="No description has been provided for this image"'


def _image_alt_text(nb: Any, body: str) -> str:
    """Give each chart its alternative text (the chart's title, in the output's metadata).

    The ``lab`` template ignores ``metadata["image/png"]["alt"]``; nbconvert then
    writes a placeholder, replaced here in document order.
    """
    alts = [
        (out.get("metadata", {}).get("image/png") or {}).get("alt")
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if "image/png" in out.get("data", {})
    ]
    if body.count(_MISSING_ALT) != len(alts):
        return body
    parts = body.split(_MISSING_ALT)
    out = [parts[0]]
    for alt, rest in zip(alts, parts[1:], strict=True):
        text = html.escape(alt or "chart", quote=True)
        out.append(f'alt="{text}"{rest}')
    return "".join(out)
