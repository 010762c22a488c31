"""Reading Bot API parameters the way Telegram does, from JSON or form bodies.

PTB sends ``application/x-www-form-urlencoded`` (or multipart with files) where every value is a
string and nested objects (reply_markup, link_preview_options, entities, ...) are JSON-encoded
strings; other clients send a JSON body with native values. The getters accept both.
"""

from __future__ import annotations

import json
from typing import Any

from bot.standin.state import bad_request
from bot.standin.telegram_html import utf16_len

Params = dict[str, Any]

_INLINE_KINDS = (
    "url",
    "callback_data",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "web_app",
    "login_url",
    "pay",
    "callback_game",
)
_BUTTON_URL_SCHEMES = ("http://", "https://", "tg://")
MAX_BUTTONS = 100


def get_str(params: Params, name: str, default: str | None = None) -> str | None:
    value = params.get(name)
    if value is None:
        return default
    return value if isinstance(value, str) else str(value)


def get_int(params: Params, name: str, default: int | None = None) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise bad_request(f"wrong parameter {name}")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"invalid {name} specified") from None


def require_int(params: Params, name: str) -> int:
    value = get_int(params, name)
    if value is None:
        raise bad_request(f"{name} is empty" if name != "message_id" else "message_id is empty")
    return value


def get_bool(params: Params, name: str) -> bool:
    value = params.get(name)
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)


def get_json(params: Params, name: str) -> Any:
    """A nested object: decoded from its JSON string (form bodies) or taken as is (JSON bodies)."""
    value = params.get(name)
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        if name == "reply_markup":
            raise bad_request("can't parse reply keyboard markup JSON object") from None
        raise bad_request(f"can't parse {name} JSON object") from None


def chat_id_param(params: Params, name: str = "chat_id") -> int | str:
    value = params.get(name)
    if value is None or value == "":
        raise bad_request("chat_id is empty")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.startswith("@"):
        return text
    try:
        return int(text)
    except ValueError:
        raise bad_request("chat not found") from None


def check_plain_text(text: str | None, *, caption: bool = False) -> str:
    """Limits for text sent without parse_mode (or with one we do not parse)."""
    text = text or ""
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        raise bad_request("strings must be encoded in UTF-8")
    if not caption and not text.strip():
        raise bad_request("message text is empty")
    if utf16_len(text) > (1024 if caption else 4096):
        raise bad_request("message caption is too long" if caption else "message is too long")
    return text


def check_reply_markup(markup: Any) -> dict[str, Any] | None:
    """Validate reply_markup like Telegram does; return it (inline keyboards fully checked)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
            return markup
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
        )
    count = 0
    for row in rows:
        for button in row:
            count += 1
            _check_button(button)
    if count > MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    return markup


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if not button["text"].strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    kinds = [k for k in _INLINE_KINDS if k in button]
    if not kinds:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(kinds) > 1:
        raise bad_request(
            "can't parse inline keyboard button: Can't find field \"text\" or more "
            "than one button field specified"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if (
            not isinstance(url, str)
            or not url.lower().startswith(_BUTTON_URL_SCHEMES)
            or any(c.isspace() for c in url)
        ):
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
