"""Sandboxed jinja2 rendering of the user-facing texts kept as templates in packages."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

TEMPLATE_DIRS = [
    Path(__file__).resolve().parents[1] / name / "templates"
    for name in ("handlers", "guard", "broadcasts")
]


@cache
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=FileSystemLoader([str(d) for d in TEMPLATE_DIRS]),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, **values: Any) -> str:
    return _environment().get_template(name).render(**values).strip()
