// The sandbox page: draws the stand-in's chats as a Telegram client would and sends what the
// person does (messages, button presses, persona, clock) back to the sandbox. No framework:
// the state comes whole from /api/state (long poll) and each message is redrawn only when its
// JSON changed, so revealed spoilers and scroll positions survive other chats' traffic.
"use strict";

const $ = (id) => document.getElementById(id);
let state = null;
let current = null;        // {chat: id, thread: id|null}
let drawn = new Map();     // message key -> JSON it was drawn from
const seenToasts = new Set();
let loaded = false;        // callback answers from before the page opened are not toasted

// ------------------------------------------------------------------ server
async function post(name, body) {
  const response = await fetch(`/api/${name}`, {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body || {}),
  });
  const answer = await response.json().catch(() => ({ok: false, error: response.statusText}));
  if (!answer.ok) toast(answer.error || "refused", true);
  return answer;
}

async function poll() {
  let version = -1;
  for (;;) {
    try {
      const response = await fetch(`/api/state?after=${version}`);
      if (!response.ok) throw new Error(response.statusText);
      state = await response.json();
      version = state.version;
      draw();
    } catch (err) {
      $("notice").textContent = "The sandbox is not answering (stopped?). Retrying…";
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
  }
}

// ------------------------------------------------------------------ chats
function chatById(id) { return state.chats.find((c) => c.id === id); }

function chatName(chat) {
  if (chat.type === "private") return state.bot.first_name;
  return chat.title || String(chat.id);
}

function entries() {
  // what the chat list shows, in Telegram's order of kinds: the bot, groups, forum, channel
  const out = [];
  const persona = state.persona;
  for (const chat of state.chats) {
    if (chat.type === "private") {
      if (state.mode === "preview" || chat.id === persona) out.push({chat, thread: null});
    } else if (chat.is_forum) {
      out.push({chat, thread: null, head: true});
      for (const topic of chat.topics) out.push({chat, thread: topic.id, topic});
    } else {
      out.push({chat, thread: null});
    }
  }
  return out;
}

function messagesOf(chat, thread) {
  return chat.messages.filter((m) => !chat.is_forum || (m.message_thread_id || null) === thread);
}

function plain(message) {
  if (message.deleted) return "Message deleted";
  if (message.rich_message) return "Rich message";
  const text = message.text || message.caption || "";
  return (message.photo_url ? "🖼 " : "") + text.split("\n").find((l) => l.trim()) || "";
}

function avatar(kind, label) {
  const el = document.createElement("div");
  el.className = `avatar ${kind}`;
  el.textContent = (label || "?").trim().charAt(0).toUpperCase();
  return el;
}

function kindOf(chat, thread) {
  if (thread) return "topic";
  if (chat.type === "private") return "";
  if (chat.is_forum) return "forum";
  return chat.type === "channel" ? "channel" : "group";
}

let listDrawn = "";

function drawChatList() {
  const list = $("chats");
  const items = entries();
  // redrawn only when something it shows changed (a click must not land on a replaced item)
  const signature = JSON.stringify([current, items.map(({chat, thread}) => {
    const last = messagesOf(chat, thread).at(-1);
    return [chat.id, thread, last ? JSON.stringify(last) : "", errorsFor(chat.id, thread).length];
  })]);
  if (signature === listDrawn) return;
  listDrawn = signature;
  list.textContent = "";
  for (const entry of items) {
    const {chat, thread, topic, head} = entry;
    const li = document.createElement("li");
    li.dataset.chat = chat.id;
    if (thread) li.dataset.thread = thread;
    const name = topic ? `# ${topic.name}` : chatName(chat);
    li.className = (topic ? "topic" : "") + (head ? " forum-head" : "");
    li.appendChild(avatar(kindOf(chat, thread), topic ? "#" : name));
    const box = document.createElement("div");
    box.className = "chat-entry";
    const title = document.createElement("div");
    title.className = "chat-name";
    title.textContent = name;
    const kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = head ? "forum" : (topic ? "topic" : (chat.type === "private" ? "bot" : chat.type));
    title.appendChild(kind);
    box.appendChild(title);
    const errors = errorsFor(chat.id, thread).length;
    const last = head ? null : messagesOf(chat, thread).at(-1);
    const preview = document.createElement("div");
    preview.className = "preview";
    preview.textContent = head ? `${chat.topics.length} topics` : (last ? plain(last) : "No messages yet");
    box.appendChild(preview);
    li.appendChild(box);
    if (errors) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = "!";
      badge.title = `${errors} refused call(s)`;
      li.appendChild(badge);
    }
    if (!head) {
      if (current && current.chat === chat.id && current.thread === thread) li.classList.add("active");
      li.addEventListener("click", () => open(chat.id, thread));
    }
    list.appendChild(li);
  }
}

function open(chatId, thread) {
  current = {chat: chatId, thread: thread || null};
  drawn = new Map();
  $("messages").textContent = "";
  draw();
  $("composer-input").focus();
}

// ------------------------------------------------------------------ the open chat
function draw() {
  document.body.classList.toggle("mode-preview", state.mode === "preview");
  $("mode-name").textContent = state.mode;
  drawPersonas();
  drawControls();
  if (!current || !chatById(current.chat) ||
      (chatById(current.chat).type === "private" && state.mode !== "preview" && current.chat !== state.persona)) {
    const first = state.mode === "preview" ? state.preview.chat_id : state.persona;
    current = {chat: first, thread: null};
    drawn = new Map();
    $("messages").textContent = "";
  }
  drawChatList();
  drawHeader();
  drawMessages();
  drawErrors();
  drawChips();
  drawToasts();
}

function drawPersonas() {
  const box = $("personas");
  if (!state.personas) return;
  box.textContent = "";
  for (const person of state.personas) {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.persona = person.id;
    button.textContent = `${person.name} · ${person.role}`;
    if (person.id === state.persona) button.classList.add("active");
    button.addEventListener("click", () => post("persona", {id: person.id}));
    box.appendChild(button);
  }
}

function fmtTime(iso) {
  if (!iso) return "none";
  const [date, rest] = iso.split("T");
  return `${date} ${rest.slice(0, 5)}`;
}

function drawControls() {
  if (state.mode === "preview") {
    const info = $("preview-info");
    info.hidden = false;
    const p = state.preview;
    info.textContent = `Preview of ${p.spec} · layout ${p.layout} · reload #${p.generation}`;
    const layouts = document.createElement("div");
    layouts.className = "layouts";
    for (const layout of p.layouts) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.layout = layout;
      button.textContent = layout;
      if (layout === p.layout) button.classList.add("active");
      button.addEventListener("click", () => post("layout", {layout}));
      layouts.appendChild(button);
    }
    info.appendChild(layouts);
    for (const title of p.titles) {
      const line = document.createElement("div");
      line.textContent = `• ${title}`;
      info.appendChild(line);
    }
    if (p.problem) {
      const problem = document.createElement("div");
      problem.className = "problem";
      problem.textContent = p.problem;
      info.appendChild(problem);
    }
    return;
  }
  const clock = state.clock;
  $("clock-now").textContent = `${fmtTime(clock.now)} ${clock.timezone}`;
  $("clock-next").textContent = `${fmtTime(clock.next_push)} (${clock.schedule})`;
  $("notice").textContent = state.notice || `Push targets: ${state.push_targets.join(", ")}`;
  $("push-now").disabled = state.pushing;
}

function drawHeader() {
  const chat = chatById(current.chat);
  const topic = chat.topics.find((t) => t.id === current.thread);
  const name = topic ? `${chat.title} › ${topic.name}` : chatName(chat);
  $("chat-title").textContent = name;
  const avatarBox = $("chat-avatar");
  avatarBox.replaceWith(Object.assign(avatar(kindOf(chat, current.thread), topic ? "#" : name), {id: "chat-avatar"}));
  let subtitle = "bot";
  if (chat.type === "channel") subtitle = `channel · @${chat.username || ""}`;
  else if (chat.type !== "private") subtitle = `${chat.type}${chat.is_forum ? " · forum" : ""}`;
  else subtitle = `@${state.bot.username} · bot`;
  $("chat-subtitle").textContent = subtitle;
  const input = $("composer-input");
  const person = (state.personas || []).find((p) => p.id === state.persona);
  const closed = chat.type === "channel" && (!person || person.role !== "admin");
  input.disabled = closed;
  input.placeholder = closed ? "Only the channel's admin can post here" :
    `Message as ${person ? person.name : "you"}${chat.type !== "private" ? " (commands work here too)" : ""}`;
}

function keyOf(message) { return `${current.chat}:${message.message_id}`; }

function drawMessages() {
  const box = $("messages");
  const chat = chatById(current.chat);
  const messages = messagesOf(chat, current.thread);
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  const wanted = new Set(messages.map(keyOf));
  for (const [key] of drawn) {
    if (!wanted.has(key)) {
      box.querySelector(`[data-key="${key}"]`)?.remove();
      drawn.delete(key);
    }
  }
  box.querySelector(".empty")?.remove();
  let previous = null;
  for (const message of messages) {
    const key = keyOf(message);
    const json = JSON.stringify(message) + state.persona;
    let node = box.querySelector(`[data-key="${key}"]`);
    if (drawn.get(key) !== json) {
      const fresh = drawMessage(chat, message);
      if (node) node.replaceWith(fresh); else if (previous) previous.after(fresh); else box.prepend(fresh);
      node = fresh;
      drawn.set(key, json);
    }
    previous = node;
  }
  if (!messages.length) {
    const empty = document.createElement("div");
    empty.className = "empty";
    empty.textContent = state.mode === "preview" ? "Nothing sent (see the problem on the left)" :
      "No messages here yet. Send /start, or run the push.";
    box.appendChild(empty);
  }
  if (atBottom || state.mode === "preview" && box.dataset.generation !== String(state.preview.generation)) {
    if (state.mode === "preview") {
      box.dataset.generation = state.preview.generation;
      box.scrollTop = 0;
    } else {
      box.scrollTop = box.scrollHeight;
    }
  }
}

function drawMessage(chat, message) {
  const row = document.createElement("div");
  row.dataset.key = keyOf(message);
  row.dataset.messageId = message.message_id;
  const mine = !message.from_bot && message.from && message.from.id === state.persona;
  row.className = "row" + (mine ? " out" : "") + (message.deleted ? " deleted" : "");
  // bubble and keyboard share one width, as in Telegram
  const stack = document.createElement("div");
  stack.className = "stack";
  row.appendChild(stack);
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  stack.appendChild(bubble);
  if (message.deleted) {
    const body = document.createElement("div");
    body.className = "body";
    body.textContent = "Message deleted";
    bubble.appendChild(body);
    return row;
  }
  if (!mine && chat.type !== "private" && chat.type !== "channel" && message.from) {
    const sender = document.createElement("div");
    sender.className = "sender";
    sender.textContent = message.from.first_name;
    bubble.appendChild(sender);
  }
  if (message.photo_url !== undefined) {
    const img = document.createElement("img");
    img.className = "photo";
    img.alt = "cover image";
    img.src = photoSrc(message.photo_url);
    bubble.appendChild(img);
  }
  const body = document.createElement("div");
  body.className = "body";
  if (message.rich_message) {
    body.classList.add("rich");
    body.appendChild(drawBlocks(message.rich_message.blocks || []));
  } else if (message.text !== undefined) {
    body.appendChild(drawEntities(message.text, message.entities));
  } else if (message.caption !== undefined) {
    body.appendChild(drawEntities(message.caption, message.caption_entities));
  }
  const meta = document.createElement("span");
  meta.className = "meta";
  if (message.edit_date) {
    const edited = document.createElement("span");
    edited.className = "edited";
    edited.textContent = "edited";
    meta.appendChild(edited);
  }
  meta.appendChild(document.createTextNode(clockTime(message.date)));
  body.appendChild(meta);
  if (body.childNodes.length > 1 || message.photo_url === undefined) bubble.appendChild(body);
  const markup = message.reply_markup && message.reply_markup.inline_keyboard;
  if (markup && markup.length) stack.appendChild(drawKeyboard(chat, message, markup));
  return row;
}

function clockTime(unix) {
  const date = new Date(unix * 1000);
  return `${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}`;
}

function photoSrc(url) {
  // drawn locally: the sandbox never makes the browser fetch the internet
  return `/api/photo?url=${encodeURIComponent(url || "")}`;
}

function drawKeyboard(chat, message, rows) {
  const box = document.createElement("div");
  box.className = "keyboard";
  for (const row of rows) {
    const line = document.createElement("div");
    line.className = "kb-row";
    for (const button of row) {
      let el;
      if (button.url) {
        el = document.createElement("a");
        el.href = safeHref(button.url);
        el.target = "_blank";
        el.rel = "noopener noreferrer";
        el.textContent = `${button.text} ↗`;
      } else {
        el = document.createElement("button");
        el.type = "button";
        el.textContent = button.text;
        el.className = "kb-button";
        el.dataset.callback = button.callback_data || "";
        el.addEventListener("click", () => post("press", {
          chat_id: chat.id, message_id: message.message_id, data: button.callback_data}));
      }
      line.appendChild(el);
    }
    box.appendChild(line);
  }
  return box;
}

// ------------------------------------------------------------------ entities (as Telegram draws them)
function safeHref(url) {
  return /^(https?:|tg:|mailto:|tel:)/i.test(url || "") ? url : "#";
}

function entityElement(entity, text) {
  let el;
  switch (entity.type) {
    case "bold": el = document.createElement("strong"); break;
    case "italic": el = document.createElement("em"); break;
    case "underline": el = document.createElement("u"); break;
    case "strikethrough": el = document.createElement("s"); break;
    case "spoiler":
      el = document.createElement("span");
      el.className = "spoiler";
      el.title = "spoiler: click to reveal";
      el.addEventListener("click", () => el.classList.add("revealed"));
      break;
    case "code": el = document.createElement("code"); break;
    case "pre": {
      el = document.createElement("pre");
      if (entity.language) {
        const lang = document.createElement("span");
        lang.className = "lang";
        lang.textContent = entity.language;
        el.appendChild(lang);
      }
      const code = document.createElement("code");
      if (entity.language) code.dataset.language = entity.language;
      el.appendChild(code);
      el.inner = code;
      break;
    }
    case "text_link": case "url": case "email": case "phone_number": {
      el = document.createElement("a");
      const raw = text.slice(entity.offset, entity.offset + entity.length);
      const target = entity.type === "text_link" ? entity.url :
        entity.type === "email" ? `mailto:${raw}` :
        entity.type === "phone_number" ? `tel:${raw}` :
        (/^[a-z]+:/i.test(raw) ? raw : `http://${raw}`);
      el.href = safeHref(target);
      el.target = "_blank";
      el.rel = "noopener noreferrer";
      el.title = target;
      break;
    }
    case "blockquote": el = document.createElement("blockquote"); break;
    case "expandable_blockquote":
      el = document.createElement("blockquote");
      el.className = "expandable collapsed";
      el.addEventListener("click", () => el.classList.toggle("collapsed"));
      break;
    case "hashtag": case "cashtag": el = document.createElement("a"); el.className = "hashtag"; break;
    case "mention": case "text_mention": el = document.createElement("a"); el.className = "mention"; break;
    case "bot_command": {
      el = document.createElement("a");
      el.className = "command";
      const command = text.slice(entity.offset, entity.offset + entity.length);
      el.addEventListener("click", () => sendText(command));
      break;
    }
    default: el = document.createElement("span"); el.dataset.entity = entity.type;
  }
  return el;
}

// Telegram adds these entities itself to every message (the stand-in leaves them out): clients
// draw them, so the page finds them in the text that no other entity covers.
const AUTO = /(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'’»」）])|(#[\p{L}\p{N}_]+)|(\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?)(?![\p{L}\p{N}_/])|(@[A-Za-z][A-Za-z0-9_]{3,31})/gu;

function appendText(parent, text, code) {
  if (code) { parent.appendChild(document.createTextNode(text)); return; }
  let pos = 0;
  for (const match of text.matchAll(AUTO)) {
    const at = match.index;
    const before = at === 0 ? "" : text[at - 1];
    if (match[3] && /[\p{L}\p{N}_]/u.test(before)) continue;  // a path inside a word
    if (match[2] && /[\p{L}\p{N}_&]/u.test(before)) continue;
    parent.appendChild(document.createTextNode(text.slice(pos, at)));
    const type = match[1] ? "url" : match[2] ? "hashtag" : match[3] ? "bot_command" : "mention";
    const el = entityElement({type, offset: 0, length: match[0].length}, match[0]);
    el.textContent = match[0];
    parent.appendChild(el);
    pos = at + match[0].length;
  }
  parent.appendChild(document.createTextNode(text.slice(pos)));
}

// Entities are UTF-16 offsets, which is what JavaScript strings count: slice() is exact.
function drawEntities(text, entities) {
  const fragment = document.createDocumentFragment();
  const list = (entities || []).slice().sort((a, b) => a.offset - b.offset || b.length - a.length);
  fill(fragment, text, 0, text.length, list, false);
  return fragment;
}

function fill(parent, text, start, end, list, code) {
  let pos = start;
  let index = 0;
  while (index < list.length) {
    const entity = list[index];
    const entityEnd = Math.min(entity.offset + entity.length, end);
    let next = index + 1;
    while (next < list.length && list[next].offset < entityEnd) next++;
    // entities nest in Telegram; one crossing its parent's end is cut there
    const inner = list.slice(index + 1, next).map((e) =>
      e.offset + e.length > entityEnd ? {...e, length: entityEnd - e.offset} : e);
    const from = Math.max(entity.offset, pos);
    if (from > pos) appendText(parent, text.slice(pos, from), code);
    const el = entityElement(entity, text);
    const isCode = code || entity.type === "code" || entity.type === "pre";
    fill(el.inner || el, text, from, entityEnd, inner, isCode);
    parent.appendChild(el);
    pos = Math.max(pos, entityEnd);
    index = next;
  }
  if (pos < end) appendText(parent, text.slice(pos, end), code);
}

// ------------------------------------------------------------------ rich messages (blocks)
const RICH_TAGS = {bold: "strong", italic: "em", underline: "u", strikethrough: "s",
  subscript: "sub", superscript: "sup", marked: "mark", code: "code"};

function richText(value) {
  const fragment = document.createDocumentFragment();
  if (value === undefined || value === null) return fragment;
  if (typeof value === "string") { appendText(fragment, value, false); return fragment; }
  if (Array.isArray(value)) { for (const part of value) fragment.appendChild(richText(part)); return fragment; }
  let el;
  if (RICH_TAGS[value.type]) {
    el = document.createElement(RICH_TAGS[value.type]);
  } else if (value.type === "spoiler") {
    el = entityElement({type: "spoiler"}, "");
  } else if (value.type === "url" || value.type === "email_address" || value.type === "phone_number") {
    el = document.createElement("a");
    const target = value.url || (value.type === "email_address" ? `mailto:${value.email_address || ""}` :
      value.type === "phone_number" ? `tel:${value.phone_number || ""}` : "");
    el.href = safeHref(target);
    el.target = "_blank";
    el.rel = "noopener noreferrer";
    el.title = target;
  } else if (["hashtag", "cashtag", "mention", "bot_command"].includes(value.type)) {
    el = document.createElement("a");
    el.className = value.type === "bot_command" ? "command" : value.type === "mention" ? "mention" : "hashtag";
  } else if (value.type === "mathematical_expression") {
    el = document.createElement("code");
    el.textContent = value.expression || "";
    return el;
  } else if (value.type === "custom_emoji") {
    return document.createTextNode(value.alternative_text || "");
  } else {
    el = document.createElement("span");
    el.dataset.rich = value.type || "";
  }
  const inner = value.text !== undefined ? value.text :
    (value.type === "hashtag" ? value.hashtag : value.type === "mention" ? `@${value.username || ""}` : "");
  el.appendChild(richText(inner));
  return el;
}

function captioned(figure, caption) {
  if (!caption) return figure;
  const figcaption = document.createElement("figcaption");
  figcaption.appendChild(richText(caption.text));
  if (caption.credit) {
    const cite = document.createElement("cite");
    cite.appendChild(document.createTextNode(" — "));
    cite.appendChild(richText(caption.credit));
    figcaption.appendChild(cite);
  }
  figure.appendChild(figcaption);
  return figure;
}

function drawBlocks(blocks) {
  const fragment = document.createDocumentFragment();
  for (const block of blocks || []) fragment.appendChild(drawBlock(block));
  return fragment;
}

function element(tag, child) {
  const el = document.createElement(tag);
  if (child) el.appendChild(child);
  return el;
}

function drawBlock(block) {
  switch (block.type) {
    case "paragraph": return element("p", richText(block.text));
    case "heading": return element(`h${Math.min(Math.max(block.size || 1, 1), 6)}`, richText(block.text));
    case "footer": return element("footer", richText(block.text));
    case "divider": return document.createElement("hr");
    case "anchor": { const a = document.createElement("a"); a.name = block.name || ""; return a; }
    case "pre": {
      const pre = entityElement({type: "pre", language: block.language}, "");
      pre.inner.textContent = typeof block.text === "string" ? block.text : (pre.inner.appendChild(richText(block.text)), pre.inner.textContent);
      return pre;
    }
    case "mathematical_expression": return element("pre", document.createTextNode(block.expression || ""));
    case "list": {
      const ordered = (block.items || []).some((item) => /^\w+[.)]?$/.test(item.label || "") && !/^[•◦▪-]$/.test(item.label || ""));
      const list = document.createElement(ordered ? "ol" : "ul");
      for (const item of block.items || []) {
        const li = document.createElement("li");
        if (ordered && item.value) li.value = item.value;
        if (item.has_checkbox) {
          const box = document.createElement("input");
          box.type = "checkbox";
          box.checked = !!item.is_checked;
          box.disabled = true;
          li.appendChild(box);
        }
        li.appendChild(drawBlocks(item.blocks));
        list.appendChild(li);
      }
      return list;
    }
    case "blockquote": case "expandable_blockquote": {
      const quote = entityElement({type: block.type}, "");
      quote.appendChild(block.blocks ? drawBlocks(block.blocks) : richText(block.text));
      if (block.credit) quote.appendChild(element("cite", richText(block.credit)));
      return quote;
    }
    case "pullquote": {
      const quote = element("blockquote", richText(block.text));
      quote.className = "pullquote";
      if (block.credit) quote.appendChild(element("cite", richText(block.credit)));
      return quote;
    }
    case "table": {
      const table = document.createElement("table");
      table.className = [block.is_bordered && "bordered", block.is_striped && "striped"].filter(Boolean).join(" ");
      if (block.caption) table.appendChild(element("caption", richText(block.caption.text || block.caption)));
      for (const row of block.cells || []) {
        const tr = document.createElement("tr");
        for (const cell of row) {
          const td = document.createElement(cell.is_header ? "th" : "td");
          if (cell.colspan) td.colSpan = cell.colspan;
          if (cell.rowspan) td.rowSpan = cell.rowspan;
          if (cell.align) td.style.textAlign = cell.align;
          if (cell.valign) td.style.verticalAlign = cell.valign;
          td.appendChild(richText(cell.text));
          tr.appendChild(td);
        }
        table.appendChild(tr);
      }
      return table;
    }
    case "details": {
      const details = document.createElement("details");
      details.open = !!block.is_open;
      details.appendChild(element("summary", richText(block.summary)));
      details.appendChild(drawBlocks(block.blocks));
      return details;
    }
    case "photo": case "animation": case "video": {
      const figure = document.createElement("figure");
      const img = document.createElement("img");
      const sizes = block.photo || [];
      const best = sizes[sizes.length - 1] || {};
      img.src = photoSrc(block.url || best.url || best.file_id || block.type);
      img.alt = block.type;
      figure.appendChild(img);
      return captioned(figure, block.caption);
    }
    case "collage": case "slideshow": {
      const figure = document.createElement("figure");
      figure.appendChild(drawBlocks(block.blocks));
      return captioned(figure, block.caption);
    }
    default: {
      const unknown = element("p", document.createTextNode(`[${block.type || "block"}]`));
      unknown.className = "unsupported";
      return unknown;
    }
  }
}

// ------------------------------------------------------------------ errors, chips, toasts
function errorsFor(chatId, thread) {
  const chat = chatById(chatId);
  return state.errors.filter((e) => e.chat_id === chatId &&
    (!chat || !chat.is_forum || thread === null || e.thread === null || e.thread === thread));
}

let errorsDrawn = "";

function drawErrors() {
  const box = $("errors");
  const shown = errorsFor(current.chat, current.thread).slice(-3);
  const signature = JSON.stringify([current, shown]);
  if (signature === errorsDrawn) return;
  errorsDrawn = signature;
  box.textContent = "";
  for (const error of shown) {
    const line = document.createElement("div");
    line.className = "error" + (error.status === 429 ? " flood" : "");
    const head = document.createElement("b");
    head.textContent = error.status === 429 ? `${error.method} slowed down by Telegram: ` :
      `${error.method} refused by Telegram (${error.status}): `;
    line.appendChild(head);
    line.appendChild(document.createTextNode(error.description +
      (error.status === 429 ? " (the bot waits and sends again)" : "")));
    box.appendChild(line);
  }
}

const MEMBER_CHIPS = ["/start", "/today", "/latest", "/archive", "/tags", "/search ", "/help"];
const ADMIN_CHIPS = ["/status", "/preview", "/post", "/subscribe"];

function drawChips() {
  const box = $("chips");
  box.textContent = "";
  const person = (state.personas || []).find((p) => p.id === state.persona);
  const chat = chatById(current.chat);
  if (!person || chat.type === "channel") return;
  for (const chip of [...MEMBER_CHIPS, ...(person.role === "admin" ? ADMIN_CHIPS : [])]) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = chip.trim();
    button.addEventListener("click", () => {
      if (chip.endsWith(" ")) { $("composer-input").value = chip; $("composer-input").focus(); }
      else sendText(chip);
    });
    box.appendChild(button);
  }
}

function toast(text, alert) {
  const el = document.createElement("div");
  el.className = "toast" + (alert ? " alert" : "");
  el.textContent = text;
  $("toasts").appendChild(el);
  setTimeout(() => el.remove(), alert ? 6000 : 3000);
}

function drawToasts() {
  for (const item of state.toasts || []) {
    if (seenToasts.has(item.id)) continue;
    seenToasts.add(item.id);
    if (loaded) toast(item.text, item.alert);
  }
  loaded = true;
}

// ------------------------------------------------------------------ typing
async function sendText(text) {
  if (!current || !text.trim()) return;
  await post("send", {chat_id: current.chat, thread: current.thread, text});
}

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("composer-input");
  const text = input.value;
  if (!text.trim()) return;
  input.value = "";
  await sendText(text);
});
$("push-now").addEventListener("click", () => post("push-now"));
$("next-push").addEventListener("click", () => post("next-push"));

poll();
