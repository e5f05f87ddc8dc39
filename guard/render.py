"""Render the guard's user-facing Chinese texts from ``guard/templates/*.j2``.

The wording lives in templates so that a station can adjust it without touching code.
The sandbox and ``StrictUndefined`` make a missing variable an error instead of a hole in
a message sent to a group; autoescape is off because the output is chat text, not HTML.
"""

from __future__ import annotations

from core.templates import render as render_template
from guard.pii import mask_pii


def render(name: str, **context: object) -> str:
    """Render ``guard/templates/<name>.j2`` (``name`` without the extension), stripped."""
    return render_template(f"{name}.j2", **context)


def scam_warning(label: str) -> str:
    return render("scam_warning", label=label)


def pii_reminder(label: str, sender_name: str) -> str:
    return render("pii_reminder", label=label, sender_name=sender_name)


def check_reply(verdict: str, label: str, advice: str = "") -> str:
    return render("check_reply", verdict=verdict, label=label, advice=advice)


def officer_alert(
    group_title: str, sender_name: str, label: str, text: str, picture: bool = False
) -> str:
    """The alert carries the message itself, masked: alerts end up in chat histories.
    A picture is only named ([图片]), never forwarded."""
    return render(
        "officer_alert",
        group_title=group_title,
        sender_name=sender_name,
        label=label,
        text=mask_pii(text),
        picture=picture,
    )
