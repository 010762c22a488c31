"""A strict fake of the Telegram Bot API for end-to-end tests: real HTTP on 127.0.0.1 (aiohttp).

The bot under test runs unchanged with real python-telegram-bot; only its ``base_url`` differs.
Every text/caption sent with ``parse_mode="HTML"`` is checked by ``bot/standin/telegram_html.py``
(``validate_message``) and refused like Telegram refuses it. Never mock PTB's Bot: use this.

Quick start (the ``fake_telegram`` fixture in tests/conftest.py does the ``async with``)::

    from telegram import Bot
    from bot.standin import FakeTelegram

    async def test_today(fake_telegram: FakeTelegram) -> None:
        tg = fake_telegram
        tg.add_private_chat(1001, "Alice", username="alice")
        app = build_application(settings)            # with token=tg.token, base_url=tg.base_url
        ...                                           # start polling
        await tg.send_text(1001, 1001, "/today")      # Alice writes to the bot
        reply = await tg.wait_for(lambda m: m.chat_id == 1001)
        assert "Digest" in reply.parsed_text          # visible text; reply.html is the raw HTML

    async with FakeTelegram(speed=10) as tg:          # standalone use, 10x faster flood limits
        bot = Bot(tg.token, base_url=tg.base_url)

Construction: ``FakeTelegram(*, port=0, host="127.0.0.1", token=None, speed=1.0,
flood_limits=True, integer_retry_after=True, bot_id=7000000001, bot_username="digest_test_bot")``.
``await tg.start()`` / ``await tg.stop()`` or ``async with``. Attributes: ``tg.token``
(valid-looking; a wrong token gets 401 Unauthorized -> ``InvalidToken``), ``tg.base_url``
(``http://127.0.0.1:PORT/bot``), ``tg.base_file_url``, ``tg.url``, ``tg.port``, ``tg.bot`` (User).
aiohttp's access log is off: the token is in every URL and must not reach any log.

Chats (return ``Chat``; ``tg.chat(id_or_@username)`` looks one up):

* ``tg.add_private_chat(user_id, first_name="Reader", *, username=None, language_code=None)``
* ``tg.add_group(chat_id, title="Group", members={user_id: "member"|"administrator"|"creator"},
  *, bot_status="member")``
* ``tg.add_supergroup(chat_id, title, members=None, *, is_forum=False, topics={42: "Topic"},
  closed_topics=set(), username=None, bot_status="member")`` (topics imply is_forum)
* ``tg.add_channel(chat_id, title, username="@name", *, bot_status="administrator")``; sending
  to ``"@name"`` resolves to it. A channel where the bot is not admin -> 400 need administrator
  rights.
* ``tg.add_user(user_id, first_name=None, *, username=None, language_code=None)``

Simulated users (each queues an update for getUpdates and returns what it built):

* ``await tg.send_text(chat_id, user_id, text, *, thread_id=None, anonymous_admin=False,
  reply_to=None)`` -> Message dict; ``bot_command`` entities are added like Telegram does;
  ``thread_id`` sets message_thread_id/is_topic_message; ``anonymous_admin`` sends as
  GroupAnonymousBot with ``sender_chat`` = the group. In private chats user_id defaults to the
  chat id.
* ``await tg.press_button(chat_id, user_id, message_id, callback_data)`` -> callback query id
  (ValueError unless that bot message has that button). Answers land in
  ``tg.callback_answers[query_id]`` ({"text", "show_alert", "url"}).
  ``tg.forge_button_press(chat_id, user_id, message_id, data)``: the same without the button
  check (a modified client can send any callback data on any message).
* ``await tg.send_channel_post(chat_id, text)``; ``tg.push_update({"message": {...}})`` (raw).

Recording (in order; SentMessage fields: method, chat_id, message_id, message_thread_id, text,
caption, parsed_text (visible text), entities (Bot API dicts), parse_mode, photo, reply_markup,
disable_notification, protect_content, link_preview_options, reply_parameters, time (monotonic);
properties ``.html`` (text or caption as sent) and ``.buttons``):

* ``tg.sent`` new messages (sendMessage, sendPhoto); ``tg.edits`` (editMessageText,
  editMessageCaption, editMessageMedia, editMessageReplyMarkup);
  ``tg.sent_to(chat_id, thread=None)`` (thread None = whole chat);
  ``tg.requests`` every request (RequestRecord: method, params, status, description, time);
  ``tg.errors`` those answered >= 400; ``tg.deleted`` [(chat, message_id)]; ``tg.chat_actions``
  [(chat, action, thread)]; ``tg.chat(id).pinned``; ``tg.commands(scope=None, language_code="")``;
  ``tg.pending_updates``; ``tg.stats`` (requests per method, sent_429, sent_400, sent_403,
  sent_5xx, timeouts); ``tg.on_sent`` listeners (each send/edit); ``tg.on_answered``
  listeners (each RequestRecord once answered); ``tg.reset_records()``.
* Waiting, no sleeps: ``await tg.wait_for(3)`` (until 3 messages were sent; returns them),
  ``await tg.wait_for(lambda m: ..., timeout=5)`` (first matching SentMessage),
  ``await tg.wait_until(lambda: cond, timeout=5)``, ``await tg.wait_updates_consumed()``.
  A timeout raises TimeoutError listing what was sent and the last errors.

Telegram's rules (see ``ratelimit.py`` for the exact flood model; ON by default): per chat a
burst of 3 then 1 msg/s, 20 msgs per sliding 60 s per group/supergroup/channel, 30 msgs/s
overall -> 429 ``Too Many Requests: retry after N`` with ``parameters.retry_after``
(-> ``telegram.error.RetryAfter``). ``speed`` scales all of them alike. Unknown chat -> 400 chat
not found; missing forum topic -> 400 message thread not found; closed topic -> 400 TOPIC_CLOSED;
reply_markup (callback_data 1-64 bytes, button URLs http/https/tg, <= 100 buttons) and
reply_parameters are validated; unknown methods -> 404 Not Found.

Faults and chat events:

* ``tg.fail_next(chat_id, kind, times=1, *, retry_after=1, hold=10.0, delivered=False,
  method=None)`` for the next message requests (sendMessage/sendPhoto/sendRichMessage/edit*)
  to that chat
  (``chat_id=None``: any chat; ``method="getUpdates"`` with chat_id None: that method). kinds:
  "429", "500" (-> NetworkError), "502" (nginx HTML page -> NetworkError), "timeout" (held
  ``hold`` s then the connection is dropped -> ``telegram.error.TimedOut`` once the client's
  read timeout passes; ``delivered=True`` = the message really was sent first), "parse" (400),
  "not_modified" / "edit_not_found" (400 for an edit), "rich" (400 RICH_MESSAGE_INVALID).
* Corrections: edits of text, caption and media count against the flood limits like sends and
  answer ``message is not modified`` for the same content; ``tg.delete_as_admin(chat, mid)``
  (a chat admin deleted it: edits -> ``message to edit not found``),
  ``tg.make_uneditable(chat, mid)`` (-> ``message can't be edited``); deleteMessage refuses
  messages 48 h old or more (``message can't be deleted``) on the server's clock, which
  ``tg.advance_clock(seconds)`` moves on (``tg.now()``; message dates follow it).
* ``tg.migrate_group(old_id, new_id)`` -> the old id answers 400 with ``migrate_to_chat_id``
  (``telegram.error.ChatMigrated``); the new supergroup exists; migrate service messages queued.
* ``tg.kick_bot(chat_id)`` -> 403 ``Forbidden: bot was kicked from the group chat`` (and a
  my_chat_member update); ``tg.block_bot(user_id)`` -> 403 ``Forbidden: bot was blocked by the
  user``; ``tg.set_bot_status(chat_id, status)``; ``tg.close_topic(chat_id, thread_id)`` /
  ``tg.reopen_topic``; ``tg.fail_photo_url(url, description)`` -> sendPhoto with that URL is 400.

Rich messages (Bot API 10.1; rules in ../shared/telegram-rich-messages.md):

* ``sendRichMessage`` (chat_id, message_thread_id, rich_message, disable_notification,
  protect_content, reply_parameters, reply_markup; flood limits as for any send) and
  ``editMessageText`` with ``rich_message`` instead of ``text``. ``rich_message`` is an
  InputRichMessage; only its ``html`` form is checked (``markdown``/``blocks`` -> 400), by
  ``bot/standin/rich_html.py`` (``validate_rich_html``): documented tags and attributes only,
  media only as blocks, table cells inline only, ``<tr>`` directly in ``<table>``, the listed
  named entities only, no empty content, limits counted on the safe side (32768 code points of
  the source, 500 blocks counting lists/items/tables/rows, depth 16, 50 media, 20 columns).
  Refusals: ``400 Bad Request: RICH_MESSAGE_<FAULT>: <what, where>`` (PTB shows them as
  ``BadRequest("Rich_message_…")``). Converting a text message to rich or back is refused (the
  reference marks it unverified).
* The stored message (``chat.messages[id]`` and the returned Message) has
  ``rich_message = {"blocks": [RichBlock, ...], "is_rtl"?: true}``; ``tg.sent[i]`` has
  ``method="sendRichMessage"``, ``rich_message`` (the input as sent, so ``.html`` is its html),
  ``rich_blocks`` (the blocks) and ``parsed_text`` (a plain rendering: one line per paragraph,
  heading, list item ("• x" / "3. x", nested items indented by two spaces), table row
  ("a | b"), "---" for a divider, "[photo URL]" then the caption for media).
* RichBlock shapes (Bot API names): ``{"type": "heading", "size": 1-6, "text": T}``,
  ``paragraph``/``footer`` ``{"text": T}``, ``{"type": "pre", "text": str, "language"?: str}``,
  ``{"type": "divider"}``, ``{"type": "list", "items": [{"label": "•"|"3.", "blocks": [...],
  "has_checkbox"?, "is_checked"?}]}``, ``blockquote``/``expandable_blockquote``
  ``{"blocks": [...], "credit"?: T}``, ``{"type": "pullquote", "text": T, "credit"?: T}``,
  ``{"type": "table", "cells": [[{"text": T, "is_header"?, "colspan"?, "rowspan"?, "align"?,
  "valign"?}]], "is_bordered"?, "is_striped"?, "is_compact"?, "caption"?: {"text": T}}``,
  ``{"type": "details", "summary": T, "blocks": [...], "is_open": bool}``,
  ``photo``/``video``/``audio``/``document``/``map`` ``{"url": str, "has_spoiler"?,
  "caption"?: {"text": T, "credit"?: T}}``, ``collage``/``slideshow`` ``{"blocks": [...]}``,
  ``{"type": "mathematical_expression", "expression": str}``, ``{"type": "buttons",
  "buttons": [{"text": str}]}``. RichText ``T`` is a string, a list of T, or an object:
  ``{"type": "bold"|"italic"|"underline"|"strikethrough"|"spoiler"|"subscript"|
  "superscript"|"marked"|"code", "text": T}``, ``{"type": "url", "text": T, "url": str}``,
  ``{"type": "anchor", "name": str}``, ``{"type": "custom_emoji", "alternative_text": str}``,
  ``{"type": "date_time", "text": T, "unix_time": int}``, ``{"type":
  "mathematical_expression", "expression": str}``; a line break is the string ``"\n"``.
* ``FakeTelegram(rich_messages=False)`` / ``tg.set_rich_messages(False)``: an older server
  (< 10.1): ``sendRichMessage`` answers ``404 Not Found`` and ``editMessageText`` ignores
  ``rich_message``. ``tg.fail_next(chat_id, "rich")`` refuses the next send like Telegram
  refuses a rich message's content (400 ``RICH_MESSAGE_INVALID``).

Bot API methods: getMe, getUpdates (offset/limit/timeout long-poll/allowed_updates; a second
concurrent poll ends the first with 409 Conflict; 409 while a webhook is set), setWebhook /
deleteWebhook / getWebhookInfo (queued updates are POSTed to the webhook with the secret header;
``tg.route_webhook(public, local)`` maps the HTTPS URL to the bot's listener like a TLS proxy,
``await tg.post_webhook(update, secret_token=...)`` sends a forged one; see webhook.py), logOut,
close, sendMessage, sendPhoto (URL or a file_id it returned), sendRichMessage, editMessageText,
editMessageCaption, editMessageMedia (photos), editMessageReplyMarkup, deleteMessage,
answerCallbackQuery, setMyCommands, getMyCommands,
deleteMyCommands, getChat, getChatMember, getChatAdministrators, pinChatMessage,
unpinChatMessage, sendChatAction. Bodies: JSON, form-encoded or multipart (as PTB sends).

Another process: ``python -m bot.standin --port 8081`` (``--no-rich-messages``: an older
server; prints token/base URL; stdin
lines become messages from a private user). HTTP control API mirroring the Python one:
``GET /_control/info|sent|edits|stats|requests|commands|updates`` (``sent`` takes ``chat_id``,
``thread``, ``since`` (index) and ``count``+``timeout`` to long-poll) and
``POST /_control/<method>`` with a JSON object of keyword arguments for add_private_chat,
add_group, add_supergroup, add_channel, add_user, send_text, send_channel_post, press_button,
push_update, fail_next, migrate_group, set_bot_status, kick_bot, block_bot, close_topic,
reopen_topic, fail_photo_url, reset_records, set_rich_messages, route_webhook, post_webhook ->
``{"ok": true, "result": ...}``.
"""

from bot.standin.ratelimit import FloodLimits
from bot.standin.server import FakeTelegram, command_entities
from bot.standin.state import ApiError, Chat, RequestRecord, SentMessage, Stats, User

__all__ = [
    "ApiError",
    "Chat",
    "FakeTelegram",
    "FloodLimits",
    "RequestRecord",
    "SentMessage",
    "Stats",
    "User",
    "command_entities",
]
