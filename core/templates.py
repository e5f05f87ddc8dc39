"""Sandboxed jinja2 rendering of the user-facing texts kept as templates in packages."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from core import safetext

TEMPLATE_DIRS = [
    Path(__file__).resolve().parents[1] / name / "templates"
    for name in ("handlers", "guard", "broadcasts")
]


@cache
def _environment() -> SandboxedEnvironment:
    environment = SandboxedEnvironment(
        loader=FileSystemLoader([str(d) for d in TEMPLATE_DIRS]),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # What residents typed: {{ x|name }} (a display name or group title), {{ x|inline(40) }}
    # (words on one line), {{ x|quote(1000) }} (a quote block). See core/safetext.py.
    environment.filters.update(name=safetext.name, inline=safetext.inline, quote=safetext.quote)
    return environment


def render_quoted(name: str, **values: Any) -> safetext.Quoted:
    """The text and where its quotes are, for an ``Outgoing`` with ``quotes``."""
    return safetext.split_quotes(_environment().get_template(name).render(**values).strip())


def render(name: str, **values: Any) -> str:
    """The text alone; quotes, if the template has any, have their lines prefixed."""
    rendered = render_quoted(name, **values)
    return safetext.with_prefixed_quotes(rendered.text, rendered.quotes)


def literal_template(text: str) -> str:
    """A template that renders exactly ``text`` (an officer's words, a drafted warning
    quoting a lure: not code). Every "{", the only character that opens template syntax,
    becomes an expression that prints one."""
    return text.replace("{", '{{ "{" }}')
