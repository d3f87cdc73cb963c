-- Core tables. Times are unix milliseconds (UTC); ids are 24 hex digits.

CREATE TABLE counters (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
) STRICT;

-- number is the rowid, so it stays put across VACUUM and the full-text
-- index can point at it.
CREATE TABLE tickets (
	number          INTEGER PRIMARY KEY,
	id              TEXT NOT NULL UNIQUE,
	name            TEXT NOT NULL,
	phone           TEXT NOT NULL,
	description     TEXT NOT NULL,
	status          TEXT NOT NULL CHECK (status IN ('open', 'closed')),
	source          TEXT NOT NULL DEFAULT '',
	idempotency_key TEXT NOT NULL UNIQUE,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	calls           TEXT NOT NULL DEFAULT '{}' -- call sid -> summary, JSON
) STRICT;
CREATE INDEX tickets_newest ON tickets (created_at DESC, id DESC);
CREATE INDEX tickets_status ON tickets (status, created_at DESC);
CREATE INDEX tickets_phone ON tickets (phone);

CREATE TABLE agents (
	id            TEXT PRIMARY KEY,
	email         TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL,
	password_hash BLOB NOT NULL,
	created_at    INTEGER NOT NULL,
	disabled      INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE revoked_sessions (
	sid        TEXT PRIMARY KEY,
	agent_id   TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	expires_at INTEGER NOT NULL
) STRICT;
-- (agent_id, expires_at) serves both "this agent's live revocations"
-- and the foreign key's lookups by agent_id.
CREATE INDEX revoked_sessions_agent ON revoked_sessions (agent_id, expires_at);
CREATE INDEX revoked_sessions_expiry ON revoked_sessions (expires_at);

-- At most one set-up token at a time.
CREATE TABLE setup (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	token_hash TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE media_tokens (
	id         TEXT PRIMARY KEY,
	expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX media_tokens_expiry ON media_tokens (expires_at);

-- ticket_id has no foreign key: a call's log outlives its ticket.
CREATE TABLE calls (
	id                 TEXT PRIMARY KEY,
	sid                TEXT NOT NULL UNIQUE,
	provider           TEXT NOT NULL,
	ticket_id          TEXT,
	direction          TEXT NOT NULL DEFAULT '',
	from_number        TEXT NOT NULL DEFAULT '',
	to_number          TEXT NOT NULL DEFAULT '',
	started_at         INTEGER NOT NULL,
	steps              TEXT NOT NULL DEFAULT '[]', -- JSON
	hung_up_by         TEXT NOT NULL DEFAULT '',
	recording_url      TEXT NOT NULL DEFAULT '',
	recording_duration INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX calls_ticket ON calls (ticket_id, started_at DESC);
