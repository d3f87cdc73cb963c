-- The helpdesk: a pending status, an assignee on each ticket, a timeline
-- of notes and changes, an audit of deletions, and an index behind every
-- view and search of the dashboard.
--
-- The status CHECK must admit 'pending', and SQLite cannot change a
-- constraint in place, so tickets is rebuilt: copied into a new table
-- that takes its name. Its indexes and triggers go with the old table and
-- are made again below; the full-text index is rebuilt too, with a
-- tokenizer that folds accents and word endings as MongoDB's text index
-- does, so both stores find "cafe" in "Café" and "crackle" in "crackles".

DROP TABLE tickets_fts;

CREATE TABLE tickets_new (
	number          INTEGER PRIMARY KEY,
	id              TEXT NOT NULL UNIQUE,
	name            TEXT NOT NULL,
	phone           TEXT NOT NULL,
	description     TEXT NOT NULL,
	status          TEXT NOT NULL CHECK (status IN ('open', 'pending', 'closed')),
	source          TEXT NOT NULL DEFAULT '',
	idempotency_key TEXT NOT NULL UNIQUE,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	calls           TEXT NOT NULL DEFAULT '{}', -- call sid -> summary, JSON
	-- The assignee's name is a copy, so a page needs no join;
	-- RenameAgent keeps it current.
	assignee_id     TEXT,
	assignee_name   TEXT,
	-- The views a ticket is in, as words for the full-text index, so a
	-- word search within a view is one intersection of posting lists
	-- that stops after a page, however common the words or small the
	-- view. Each tag ends in a digit, which the stemmer leaves alone;
	-- word searches look only at name and description, never here.
	tags            TEXT GENERATED ALWAYS AS (
		'zzs' || status || '0' ||
		CASE WHEN status = 'closed' THEN ''
			WHEN assignee_id IS NULL THEN ' zzlive0 zzunassigned0'
			ELSE ' zzlive0 zzmine' || assignee_id || '0' END
	) VIRTUAL,
	CHECK ((assignee_id IS NULL) = (assignee_name IS NULL))
) STRICT;
INSERT INTO tickets_new (number, id, name, phone, description, status, source,
		idempotency_key, created_at, updated_at, calls)
	SELECT number, id, name, phone, description, status, source,
		idempotency_key, created_at, updated_at, calls
	FROM tickets;
DROP TABLE tickets;
ALTER TABLE tickets_new RENAME TO tickets;

-- One index per view, each in the views' order (newest first, ties by
-- id), so that every page is a walk down one index that stops after a
-- page. "Not closed" is open or pending: the partial indexes hold just
-- those tickets, where an (assignee, status, ...) index would need two
-- ranges merged and sorted. Queries repeat each WHERE clause word for
-- word, which is how SQLite knows a partial index applies.
CREATE INDEX tickets_newest ON tickets (created_at DESC, id DESC);
CREATE INDEX tickets_status ON tickets (status, created_at DESC, id DESC);
CREATE INDEX tickets_open ON tickets (created_at DESC, id DESC)
	WHERE status <> 'closed';
CREATE INDEX tickets_unassigned ON tickets (created_at DESC, id DESC)
	WHERE assignee_id IS NULL AND status <> 'closed';
CREATE INDEX tickets_mine ON tickets (assignee_id, created_at DESC, id DESC)
	WHERE status <> 'closed';
-- Every ticket an agent holds, closed ones included, for RenameAgent.
CREATE INDEX tickets_assignee ON tickets (assignee_id)
	WHERE assignee_id IS NOT NULL;
-- A customer's tickets, newest first: history, caller identification,
-- phone search and spam deletion.
CREATE INDEX tickets_phone ON tickets (phone, created_at DESC, id DESC);

-- Counts by status, as 0002 kept them (the rows are the same ones), and
-- by assignee: the not-closed tickets each agent holds, '' for nobody.
-- Every view's count is then a few rows read, however many tickets.
DELETE FROM ticket_counts;
INSERT INTO ticket_counts (status, n)
	SELECT status, count(*) FROM tickets GROUP BY status;

CREATE TABLE assignee_counts (
	assignee_id TEXT PRIMARY KEY,
	n           INTEGER NOT NULL
) STRICT;

CREATE TRIGGER tickets_count_insert AFTER INSERT ON tickets BEGIN
	INSERT INTO ticket_counts (status, n) VALUES (new.status, 1)
		ON CONFLICT (status) DO UPDATE SET n = n + 1;
	INSERT INTO assignee_counts (assignee_id, n)
		SELECT coalesce(new.assignee_id, ''), 1 WHERE new.status <> 'closed'
		ON CONFLICT (assignee_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER tickets_count_status AFTER UPDATE OF status ON tickets
WHEN old.status <> new.status BEGIN
	UPDATE ticket_counts SET n = n - 1 WHERE status = old.status;
	INSERT INTO ticket_counts (status, n) VALUES (new.status, 1)
		ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER tickets_count_assignee AFTER UPDATE OF status, assignee_id ON tickets
WHEN (old.status = 'closed') <> (new.status = 'closed')
	OR old.assignee_id IS NOT new.assignee_id BEGIN
	UPDATE assignee_counts SET n = n - 1
		WHERE assignee_id = coalesce(old.assignee_id, '') AND old.status <> 'closed';
	INSERT INTO assignee_counts (assignee_id, n)
		SELECT coalesce(new.assignee_id, ''), 1 WHERE new.status <> 'closed'
		ON CONFLICT (assignee_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER tickets_count_delete AFTER DELETE ON tickets BEGIN
	UPDATE ticket_counts SET n = n - 1 WHERE status = old.status;
	UPDATE assignee_counts SET n = n - 1
		WHERE assignee_id = coalesce(old.assignee_id, '') AND old.status <> 'closed';
END;
INSERT INTO assignee_counts (assignee_id, n)
	SELECT '', count(*) FROM tickets WHERE status <> 'closed';

-- External content, as in 0002: the text lives once, in tickets. The
-- rowid is the ticket number, so the index lists tickets newest first
-- and a word search pages by number (models.Cursor.Number).
CREATE VIRTUAL TABLE tickets_fts USING fts5 (
	name, phone, description, tags,
	content = 'tickets', content_rowid = 'number',
	tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO tickets_fts (tickets_fts) VALUES ('rebuild');

CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN
	INSERT INTO tickets_fts (rowid, name, phone, description, tags)
		VALUES (new.number, new.name, new.phone, new.description, new.tags);
END;
CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets BEGIN
	INSERT INTO tickets_fts (tickets_fts, rowid, name, phone, description, tags)
		VALUES ('delete', old.number, old.name, old.phone, old.description, old.tags);
END;
CREATE TRIGGER tickets_fts_update AFTER UPDATE OF name, phone, description, status, assignee_id ON tickets
WHEN old.name IS NOT new.name OR old.phone IS NOT new.phone OR old.description IS NOT new.description
	OR old.tags IS NOT new.tags BEGIN
	INSERT INTO tickets_fts (tickets_fts, rowid, name, phone, description, tags)
		VALUES ('delete', old.number, old.name, old.phone, old.description, old.tags);
	INSERT INTO tickets_fts (rowid, name, phone, description, tags)
		VALUES (new.number, new.name, new.phone, new.description, new.tags);
END;

-- A ticket's timeline: notes, and changes of status and assignee, each
-- with who made it. Names are copies, as on tickets: the timeline shows
-- who did something as they were called then. Delete removes a ticket's
-- entries in its transaction; there is no foreign key, because a later
-- migration that rebuilds tickets would cascade its DROP TABLE to them.
CREATE TABLE activities (
	id            TEXT PRIMARY KEY,
	ticket_id     TEXT NOT NULL,
	kind          TEXT NOT NULL CHECK (kind IN ('note', 'assigned', 'unassigned', 'status')),
	actor_id      TEXT NOT NULL,
	actor_name    TEXT NOT NULL,
	at            INTEGER NOT NULL,
	body          TEXT NOT NULL DEFAULT '',
	status        TEXT NOT NULL DEFAULT '',
	assignee_id   TEXT,
	assignee_name TEXT
) STRICT;
-- Serves the timeline and the deletion of a ticket's entries.
CREATE INDEX activities_ticket ON activities (ticket_id, at, id);

-- Who deleted which ticket, and when: the ticket itself is gone.
CREATE TABLE ticket_deletions (
	id         TEXT PRIMARY KEY,
	ticket_id  TEXT NOT NULL,
	number     INTEGER NOT NULL,
	phone      TEXT NOT NULL,
	by_id      TEXT NOT NULL,
	by_name    TEXT NOT NULL,
	at         INTEGER NOT NULL
) STRICT;
CREATE INDEX ticket_deletions_at ON ticket_deletions (at);
