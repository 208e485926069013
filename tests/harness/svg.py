"""Reading the flowcharts' SVG in tests: parse it, read its text, skip without Graphviz."""

import shutil
import xml.etree.ElementTree as ET

import pytest

SVG = "{http://www.w3.org/2000/svg}"

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")


def svg_root(text: str | bytes) -> ET.Element:
    """The parsed SVG: a well-formedness check too."""
    return ET.fromstring(text)  # noqa: S314 - our own response


def texts(svg: str | bytes) -> str:
    """Every text node of the drawing, joined by spaces."""
    root = svg_root(svg.encode() if isinstance(svg, str) else svg)
    return " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
