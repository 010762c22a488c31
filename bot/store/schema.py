"""Schema versions. `PRAGMA user_version` holds the number of steps applied.

Append a step to MIGRATIONS to change the schema; never edit a released step. Each step runs
in one transaction together with the user_version bump, so a crash leaves the old version intact.
"""

from __future__ import annotations

# v1: the first release: digest index (no full-text search), targets and the delivery journal.
V1 = """
CREATE TABLE digests (
    id           TEXT PRIMARY KEY,
    path         TEXT NOT NULL UNIQUE,
    date         TEXT NOT NULL,
    published_at TEXT,
    title        TEXT NOT NULL,
    summary      TEXT,
    category     TEXT,
    content_hash TEXT NOT NULL,
    mtime_ns     INTEGER NOT NULL,
    size         INTEGER NOT NULL,
    sections     TEXT NOT NULL DEFAULT '[]',
    indexed_at   TEXT NOT NULL
);
CREATE INDEX digests_by_date ON digests(date DESC, published_at DESC, id DESC);

CREATE TABLE digest_tags (
    digest_id   TEXT NOT NULL REFERENCES digests(id) ON DELETE CASCADE,
    tag_norm    TEXT NOT NULL,
    tag_display TEXT NOT NULL,
    PRIMARY KEY (digest_id, tag_norm)
) WITHOUT ROWID;
CREATE INDEX digest_tags_by_tag ON digest_tags(tag_norm, digest_id);

-- chat_id has no declared type on purpose: BLOB affinity keeps ints as ints and '@channel' text.
-- thread_id 0 means "no topic" (NULLs would not collide in the UNIQUE key).
CREATE TABLE targets (
    id         INTEGER PRIMARY KEY,
    chat_id    NOT NULL,
    thread_id  INTEGER NOT NULL DEFAULT 0,
    source     TEXT NOT NULL CHECK (source IN ('config', 'subscribe')),
    active     INTEGER NOT NULL DEFAULT 1,
    title      TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (chat_id, thread_id)
);

-- The UNIQUE primary key is what guarantees a message part is never delivered twice.
CREATE TABLE deliveries (
    digest_id  TEXT NOT NULL,
    chat_id    NOT NULL,
    thread_id  INTEGER NOT NULL DEFAULT 0,
    part       INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    sent_at    TEXT NOT NULL,
    PRIMARY KEY (digest_id, chat_id, thread_id, part)
) WITHOUT ROWID;
CREATE INDEX deliveries_by_chat ON deliveries(chat_id, thread_id, sent_at);
"""

# v2 (issues 3 and 4): items + trigram full-text search, bad files, failures, target lifecycle.
V2 = """
CREATE TABLE items (
    id        INTEGER PRIMARY KEY,
    digest_id TEXT NOT NULL REFERENCES digests(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    section   TEXT,
    title     TEXT NOT NULL,
    text      TEXT NOT NULL,  -- plain text, beginning with the title
    url       TEXT
);
CREATE INDEX items_by_digest ON items(digest_id, position);

-- External-content FTS5 table: the text lives once, in `items`. trigram makes Chinese (no spaces)
-- searchable and is case-insensitive; queries under 3 characters fall back to LIKE on `items`.
-- `title` is not indexed: an item's text starts with its title already (indexing it twice
-- made cold indexing ~10% slower for nothing).
CREATE VIRTUAL TABLE items_fts USING fts5(
    text, section, content='items', content_rowid='id', tokenize='trigram'
);
-- Bulk mode (a cold index of thousands of files): the triggers stand still and the index is
-- rebuilt in one pass at the end, about 4x cheaper than row-by-row updates. The flag is
-- committed, so a crash in bulk mode is noticed at the next open and the rebuild done then.
CREATE TABLE fts_state (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    bulk INTEGER NOT NULL DEFAULT 0  -- 0, or the pid of the process running the bulk sync
);
INSERT INTO fts_state (id, bulk) VALUES (1, 0);
CREATE TRIGGER items_ai AFTER INSERT ON items
WHEN (SELECT bulk FROM fts_state WHERE id = 1) = 0 BEGIN
    INSERT INTO items_fts(rowid, text, section) VALUES (new.id, new.text, new.section);
END;
CREATE TRIGGER items_ad AFTER DELETE ON items
WHEN (SELECT bulk FROM fts_state WHERE id = 1) = 0 BEGIN
    INSERT INTO items_fts(items_fts, rowid, text, section)
    VALUES ('delete', old.id, old.text, old.section);
END;

CREATE TABLE bad_files (
    path     TEXT PRIMARY KEY,
    reason   TEXT NOT NULL,
    mtime_ns INTEGER NOT NULL,
    size     INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    seen_at  TEXT NOT NULL
);

CREATE TABLE failures (
    id        INTEGER PRIMARY KEY,
    digest_id TEXT NOT NULL,
    chat_id   NOT NULL,
    thread_id INTEGER NOT NULL DEFAULT 0,
    part      INTEGER,
    error     TEXT NOT NULL,
    failed_at TEXT NOT NULL
);
CREATE INDEX failures_by_chat ON failures(chat_id, thread_id, id);

-- keep the order the front matter gives the tags
ALTER TABLE digest_tags ADD COLUMN position INTEGER NOT NULL DEFAULT 0;

ALTER TABLE targets ADD COLUMN deactivated_reason TEXT;
ALTER TABLE targets ADD COLUMN updated_at TEXT;
UPDATE targets SET updated_at = created_at;

-- v1 digests have no items yet: forget their change stamps so the next sync parses them again.
UPDATE digests SET mtime_ns = -1, size = -1, content_hash = '';
"""

# v3: one indexed column per item, `items_doc`, so that 1-2 character words (Chinese) can be
# narrowed through the trigram index instead of a LIKE over every item: the doc is title, text
# and section, each followed by a newline, so every occurrence of a 1-2 character word starts
# some trigram, and `items_vocab` lists the trigrams that start with it (see search.py).
# The title is left out when the text already contains it (the usual case: it is the text's
# first line), which keeps the index as small as v2's. columnsize=0: no ranking, no doc sizes.
V3 = """
DROP TRIGGER items_ai;
DROP TRIGGER items_ad;
DROP TABLE items_fts;
CREATE VIEW items_doc AS SELECT id,
    (CASE WHEN instr(text, title) THEN '' ELSE title || char(10) END)
    || text || char(10) || ifnull(section, '') || char(10) AS doc
FROM items;
CREATE VIRTUAL TABLE items_fts USING fts5(
    doc, content='items_doc', content_rowid='id', tokenize='trigram', columnsize=0
);
CREATE VIRTUAL TABLE items_vocab USING fts5vocab(items_fts, 'row');
CREATE TRIGGER items_ai AFTER INSERT ON items
WHEN (SELECT bulk FROM fts_state WHERE id = 1) = 0 BEGIN
    INSERT INTO items_fts(rowid, doc) VALUES (new.id,
        (CASE WHEN instr(new.text, new.title) THEN '' ELSE new.title || char(10) END)
        || new.text || char(10) || ifnull(new.section, '') || char(10));
END;
CREATE TRIGGER items_ad AFTER DELETE ON items
WHEN (SELECT bulk FROM fts_state WHERE id = 1) = 0 BEGIN
    INSERT INTO items_fts(items_fts, rowid, doc) VALUES ('delete', old.id,
        (CASE WHEN instr(old.text, old.title) THEN '' ELSE old.title || char(10) END)
        || old.text || char(10) || ifnull(old.section, '') || char(10));
END;
INSERT INTO items_fts(items_fts) VALUES ('rebuild');
"""

# v4: which numeric chat an `@name` from DIGEST_CHATS turned out to be (getChat). Remembered so
# that a later start whose getChat fails still uses the id the journal is kept under, instead of
# pushing again under the name.
V4 = """
CREATE TABLE chat_names (
    name TEXT PRIMARY KEY,  -- '@name', lower case
    chat_id INTEGER NOT NULL,
    resolved_at TEXT NOT NULL
);
"""

# v5: texts behind the short keys of buttons (search queries): a button made before a restart
# still finds its query. A key is a hash of its text (bot.reader.keys), so rows never conflict.
V5 = """
CREATE TABLE button_texts (
    key TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    used_at TEXT NOT NULL
);
CREATE INDEX button_texts_used ON button_texts (used_at);
"""

# v6 (issue 7): pushes are durable jobs, and every part is claimed in the database before it is
# sent, so two processes on one database never both send it (see bot/store/jobs.py).
# Planned on: issue 9 (layouts: each target's push records the layout it used) and issue 10
# (corrections: a delivered part's row gets the new content hash and message id once Telegram
# confirms the edit), hence `layout` on jobs and job targets and `content_hash` per delivery.
V6 = """
CREATE TABLE push_jobs (
    id            INTEGER PRIMARY KEY,
    digest_id     TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('scheduled', 'manual', 'cli')),
    layout        TEXT NOT NULL DEFAULT 'classic',
    state         TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done', 'failed')),
    requested_by  INTEGER,          -- the admin who asked (/post), told the result at the end
    report_chat   INTEGER,          -- where that admin asked
    report_thread INTEGER NOT NULL DEFAULT 0,
    owner         TEXT NOT NULL,    -- host:pid:token of the process running it
    heartbeat     REAL NOT NULL,    -- unix time the owner last said it is alive
    created_at    TEXT NOT NULL,
    finished_at   TEXT,
    summary       TEXT
);
CREATE INDEX push_jobs_unfinished ON push_jobs(state, heartbeat);

CREATE TABLE push_job_targets (
    job_id    INTEGER NOT NULL REFERENCES push_jobs(id) ON DELETE CASCADE,
    chat_id   NOT NULL,
    thread_id INTEGER NOT NULL DEFAULT 0,
    layout    TEXT NOT NULL DEFAULT 'classic',
    state     TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    sent      INTEGER NOT NULL DEFAULT 0,
    error     TEXT,
    PRIMARY KEY (job_id, chat_id, thread_id)
);

-- At most one process may be sending a part: the row is taken in a write transaction after the
-- journal was checked, and deleted in the transaction that journals the delivery. A claim whose
-- owner died (its pid is gone, or it stopped renewing `expires_at`) may be taken over.
CREATE TABLE part_claims (
    digest_id  TEXT NOT NULL,
    chat_id    NOT NULL,
    thread_id  INTEGER NOT NULL DEFAULT 0,
    part       INTEGER NOT NULL,
    owner      TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (digest_id, chat_id, thread_id, part)
) WITHOUT ROWID;
CREATE INDEX part_claims_by_owner ON part_claims(owner);

-- sha256 of the part as rendered (method, photo, HTML); NULL for rows journaled before v6
ALTER TABLE deliveries ADD COLUMN content_hash TEXT;
ALTER TABLE deliveries ADD COLUMN layout TEXT NOT NULL DEFAULT 'classic';
-- messages the bot created as interactive lists (pager buttons): the only ones a button press
-- may edit (forged callback data on any other message is ignored)
CREATE TABLE interactive_messages (
    chat_id    NOT NULL,
    message_id INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, message_id)
) WITHOUT ROWID;
"""

# v7 (issue 11): per-chat language (/language); tag keys without separators (`AI 日报` ==
# `AI日报`, see bot.tagnorm.normalize_tag: the connection provides it as digestbot_tag_key); the
# search index split into title, body and section columns so bm25 can weigh them (a match only
# in a section title ranks low). Each column ends with a newline, for the same reason as v3's doc.
V7 = """
CREATE TABLE chat_settings (
    chat_id    NOT NULL PRIMARY KEY,  -- as targets.chat_id: ints stay ints
    language   TEXT,                  -- NULL: the default (user's Telegram language / BOT_LANGUAGE)
    updated_at TEXT NOT NULL
);

UPDATE OR IGNORE digest_tags SET tag_norm = digestbot_tag_key(tag_display);
-- two spellings of one tag in one digest: the first one stays
DELETE FROM digest_tags WHERE tag_norm <> digestbot_tag_key(tag_display);

DROP TRIGGER items_ai;
DROP TRIGGER items_ad;
DROP TABLE items_vocab;
DROP TABLE items_fts;
DROP VIEW items_doc;
CREATE VIEW items_doc AS SELECT id,
    title || char(10) AS title,
    (CASE WHEN substr(text, 1, length(title)) = title THEN substr(text, length(title) + 1)
          ELSE text END) || char(10) AS body,
    ifnull(section, '') || char(10) AS section
FROM items;
CREATE VIRTUAL TABLE items_fts USING fts5(
    title, body, section, content='items_doc', content_rowid='id', tokenize='trigram'
);
CREATE VIRTUAL TABLE items_vocab USING fts5vocab(items_fts, 'row');
CREATE TRIGGER items_ai AFTER INSERT ON items
WHEN (SELECT bulk FROM fts_state WHERE id = 1) = 0 BEGIN
    INSERT INTO items_fts(rowid, title, body, section) VALUES (new.id, new.title || char(10),
        (CASE WHEN substr(new.text, 1, length(new.title)) = new.title
              THEN substr(new.text, length(new.title) + 1) ELSE new.text END) || char(10),
        ifnull(new.section, '') || char(10));
END;
CREATE TRIGGER items_ad AFTER DELETE ON items
WHEN (SELECT bulk FROM fts_state WHERE id = 1) = 0 BEGIN
    INSERT INTO items_fts(items_fts, rowid, title, body, section) VALUES ('delete', old.id,
        old.title || char(10),
        (CASE WHEN substr(old.text, 1, length(old.title)) = old.title
              THEN substr(old.text, length(old.title) + 1) ELSE old.text END) || char(10),
        ifnull(old.section, '') || char(10));
END;
INSERT INTO items_fts(items_fts) VALUES ('rebuild');
"""

# v8 (issue 9): the layout chosen with /layout per chat or topic (targets) and per private reader
V8 = """
CREATE TABLE layout_choices (
    chat_id    NOT NULL,
    thread_id  INTEGER NOT NULL DEFAULT 0,
    layout     TEXT NOT NULL CHECK (layout IN ('sections', 'compact', 'rich')),
    chosen_by  INTEGER,
    chosen_at  TEXT NOT NULL,
    PRIMARY KEY (chat_id, thread_id)
) WITHOUT ROWID;
"""


# v9 (issue 10): corrections. Per delivered part its kind and photo URL (which edit fits it) and
# whether Telegram said the message is gone (deleted by a chat admin: never sent again); the
# digest file version each pushed digest was last reconciled with; one row per correction for
# the admins' report and /status.
V9 = """
ALTER TABLE deliveries ADD COLUMN kind TEXT;
ALTER TABLE deliveries ADD COLUMN media TEXT;
ALTER TABLE deliveries ADD COLUMN gone INTEGER NOT NULL DEFAULT 0;

CREATE TABLE reconciled (
    digest_id TEXT PRIMARY KEY,
    file_hash TEXT NOT NULL  -- digests.content_hash the journal reflects; '' = file deleted
);

CREATE TABLE corrections (
    id          INTEGER PRIMARY KEY,
    digest_id   TEXT NOT NULL,
    title       TEXT NOT NULL,
    file_hash   TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed', 'outside_window',
                                               'off', 'file_deleted')),
    edited      INTEGER NOT NULL DEFAULT 0,
    added       INTEGER NOT NULL DEFAULT 0,
    removed     INTEGER NOT NULL DEFAULT 0,
    chats       INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    notified    INTEGER NOT NULL DEFAULT 0,
    started_at  TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX corrections_by_digest ON corrections(digest_id, file_hash);
"""

# v10: a `draft: true` file is not published and not an error either: its bad_files row says
# so (draft = 1), and /status lists drafts apart. Rows written before cannot tell, so they go:
# the next sync parses those few files again and writes them back, drafts marked.
V10 = """
ALTER TABLE bad_files ADD COLUMN draft INTEGER NOT NULL DEFAULT 0;
DELETE FROM bad_files;
"""

MIGRATIONS: list[str] = [V1, V2, V3, V4, V5, V6, V7, V8, V9, V10]
SCHEMA_VERSION = len(MIGRATIONS)
