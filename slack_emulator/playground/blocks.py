"""Block Kit as HTML: sections, fields, context, headers, dividers, images (their alt text) and the
interactive elements, each element inside a small form that posts the click back to the playground.

Where an element sits (a message, an ephemeral message, the App Home tab) travels in hidden fields;
the playground looks the element up again in what Slack stored rather than trusting the form, so the
payload it sends carries exactly what Slack's would.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .mrkdwn import Names, plain_to_html, to_html

INPUT_ELEMENTS = frozenset(
    {
        "plain_text_input",
        "static_select",
        "users_select",
        "multi_users_select",
        "conversations_select",
        "channels_select",
        "datepicker",
        "timepicker",
        "checkboxes",
        "radio_buttons",
        "number_input",
        "email_text_input",
        "url_text_input",
    }
)


@dataclass(frozen=True)
class Surface:
    """Where rendered elements act: hidden form fields naming the container, and the names shown for
    mentions and in user and channel menus."""

    hidden: Mapping[str, str]
    user_name: Names
    channel_name: Names
    users: list[tuple[str, str]] = field(default_factory=list)  # (id, name) for user menus
    channels: list[tuple[str, str]] = field(default_factory=list)  # (id, name) for channel menus

    def text(self, obj: Any) -> str:
        if not isinstance(obj, dict):
            return ""
        raw = str(obj.get("text", ""))
        if obj.get("type") == "mrkdwn":
            return to_html(raw, user_name=self.user_name, channel_name=self.channel_name)
        return plain_to_html(raw)

    def hidden_fields(self, **extra: str) -> str:
        values = {**self.hidden, **extra}
        return "".join(
            f'<input type="hidden" name="{html.escape(k, quote=True)}" value="{html.escape(v, quote=True)}">'
            for k, v in values.items()
        )


def block_id_of(block: dict[str, Any], index: int) -> str:
    """A block's id; Slack makes one up for a block the app left without, so the index stands in."""
    return str(block.get("block_id") or f"b{index}")


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = list(element.get("options", []))
    for group in element.get("option_groups", []):
        found.extend(group.get("options", []))
    return found


def _confirm(element: dict[str, Any]) -> str:
    """A button's confirmation dialog, as the browser's own: the question is JSON inside an attribute."""
    confirm = element.get("confirm")
    if not isinstance(confirm, dict):
        return ""
    question = str(confirm.get("text", {}).get("text", "Are you sure?"))
    return f' onsubmit="return confirm({_attr(json.dumps(question))})"'


def action_element(element: dict[str, Any], block_id: str, surface: Surface) -> str:
    """One interactive element of a message or tab, as a form that posts what Slack would."""
    kind = str(element.get("type"))
    action_id = str(element.get("action_id", ""))
    hidden = surface.hidden_fields(block_id=block_id, action_id=action_id)
    start = f'<form class="element" method="post" action="/act"{_confirm(element)}>{hidden}'
    if kind == "button":
        style = _attr(str(element.get("style", "default")))
        label = surface.text(element.get("text"))
        return f'{start}<button type="submit" class="btn {style}" data-label="{_attr(str(element.get("text", {}).get("text", "")))}">{label}</button></form>'
    choices: list[tuple[str, str]] = []
    if kind in ("static_select", "overflow", "radio_buttons"):
        choices = [
            (str(o.get("value", "")), str(o.get("text", {}).get("text", ""))) for o in _options(element)
        ]
    elif kind == "users_select":
        choices = surface.users
    elif kind in ("conversations_select", "channels_select"):
        choices = surface.channels
    elif kind in ("datepicker", "timepicker"):
        input_type = "date" if kind == "datepicker" else "time"
        initial = str(element.get("initial_date" if kind == "datepicker" else "initial_time", ""))
        return (
            f'{start}<input type="{input_type}" name="selected" value="{_attr(initial)}" '
            f'onchange="this.form.submit()"></form>'
        )
    else:
        return f'<span class="unsupported">({html.escape(kind)})</span>'
    placeholder = element.get("placeholder", {}).get("text") if kind != "overflow" else "⋯"
    items = "".join(f'<option value="{_attr(v)}">{html.escape(t)}</option>' for v, t in choices)
    return (
        f'{start}<select name="selected" class="{_attr(kind)}" data-action="{_attr(action_id)}" '
        f'onchange="this.form.submit()"><option value="" selected disabled>{html.escape(str(placeholder or "Choose…"))}</option>'
        f"{items}</select></form>"
    )


def input_element(element: dict[str, Any], name: str, surface: Surface, *, optional: bool) -> str:
    """An input block's element inside a modal's one form; `name` is `block_id.action_id`."""
    kind = str(element.get("type"))
    required = "" if optional else " required"
    field_name = _attr(name)
    if kind == "plain_text_input":
        initial = html.escape(str(element.get("initial_value", "")))
        limit = f' maxlength="{int(element["max_length"])}"' if "max_length" in element else ""
        if element.get("multiline"):
            return f'<textarea name="{field_name}"{limit}{required}>{initial}</textarea>'
        return f'<input type="text" name="{field_name}" value="{_attr(initial)}"{limit}{required}>'
    if kind in ("datepicker", "timepicker"):
        input_type = "date" if kind == "datepicker" else "time"
        initial = str(element.get("initial_date" if kind == "datepicker" else "initial_time", ""))
        return f'<input type="{input_type}" name="{field_name}" value="{_attr(initial)}"{required}>'
    if kind == "checkboxes":
        return "".join(
            f'<label class="check"><input type="checkbox" name="{field_name}" value="{_attr(str(o.get("value", "")))}"> '
            f"{surface.text(o.get('text'))}</label>"
            for o in _options(element)
        )
    multiple = kind == "multi_users_select"
    if kind in ("static_select", "radio_buttons"):
        choices = [
            (str(o.get("value", "")), str(o.get("text", {}).get("text", ""))) for o in _options(element)
        ]
    elif kind in ("users_select", "multi_users_select"):
        choices = surface.users
    elif kind in ("conversations_select", "channels_select"):
        choices = surface.channels
    else:
        return f'<span class="unsupported">({html.escape(kind)})</span>'
    initial_value = str(
        (element.get("initial_option") or {}).get("value")
        or element.get("initial_user")
        or element.get("initial_conversation")
        or ""
    )
    items = "".join(
        f'<option value="{_attr(v)}"{" selected" if v == initial_value else ""}>{html.escape(t)}</option>'
        for v, t in choices
    )
    blank = "" if multiple else '<option value="">—</option>'
    return f'<select name="{field_name}"{" multiple" if multiple else ""}{required}>{blank}{items}</select>'


def render_blocks(
    blocks: list[dict[str, Any]],
    surface: Surface,
    *,
    errors: Mapping[str, str] | None = None,
) -> str:
    """Blocks as HTML. Input blocks (modals only) become labelled fields of the enclosing form."""
    parts: list[str] = []
    for index, block in enumerate(blocks):
        kind = block.get("type")
        block_id = block_id_of(block, index)
        if kind == "section":
            inner = f'<div class="text">{surface.text(block.get("text"))}</div>' if "text" in block else ""
            fields = block.get("fields") or []
            if fields:
                inner += (
                    '<div class="fields">'
                    + "".join(f"<div>{surface.text(f)}</div>" for f in fields)
                    + "</div>"
                )
            accessory = block.get("accessory")
            if isinstance(accessory, dict):
                inner += f'<div class="accessory">{action_element(accessory, block_id, surface)}</div>'
            parts.append(f'<div class="block section">{inner}</div>')
        elif kind == "header":
            parts.append(f'<h4 class="block header">{surface.text(block.get("text"))}</h4>')
        elif kind == "divider":
            parts.append('<hr class="block divider">')
        elif kind == "context":
            items = [
                surface.text(e)
                if e.get("type") in ("mrkdwn", "plain_text")
                else html.escape(str(e.get("alt_text", "")))
                for e in block.get("elements", [])
            ]
            parts.append(f'<div class="block context">{" · ".join(items)}</div>')
        elif kind == "actions":
            elements = "".join(action_element(e, block_id, surface) for e in block.get("elements", []))
            parts.append(f'<div class="block actions">{elements}</div>')
        elif kind == "image":
            parts.append(f'<div class="block image">🖼 {html.escape(str(block.get("alt_text", "")))}</div>')
        elif kind == "input":
            element = block.get("element") or {}
            name = f"{block_id}.{element.get('action_id', '')}"
            optional = bool(block.get("optional"))
            hint = f'<div class="hint">{surface.text(block.get("hint"))}</div>' if block.get("hint") else ""
            error = (errors or {}).get(block_id)
            problem = f'<div class="error">{html.escape(error)}</div>' if error else ""
            field_html = input_element(element, name, surface, optional=optional)
            parts.append(
                f'<label class="block input"><span class="label">{surface.text(block.get("label"))}'
                f"{'' if not optional else ' (optional)'}</span>{field_html}{hint}{problem}</label>"
            )
        else:
            parts.append(f'<div class="block unsupported">({html.escape(str(kind))})</div>')
    return "".join(parts)
