-- The line of customers' calls waiting for an agent. An entry stays after
-- the call leaves the line, so that a late webhook finds it and cannot
-- put it back. ticket_id has no foreign key: like a call's log, the entry
-- outlives its ticket.
CREATE TABLE call_queue (
	id         TEXT PRIMARY KEY,
	sid        TEXT NOT NULL UNIQUE,
	ticket_id  TEXT,
	caller     TEXT NOT NULL,
	joined_at  INTEGER NOT NULL,
	state      TEXT NOT NULL CHECK (state IN ('waiting', 'ringing', 'answered', 'abandoned', 'voicemail', 'callback')),
	updated_at INTEGER NOT NULL
) STRICT;
-- Only the calls in line, in their order: a position is one range of it,
-- however many calls have come and gone. Queries must repeat this WHERE
-- word for word for SQLite to use the index. state, which the WHERE
-- already narrows to two values, is there so that the index covers those
-- queries: without it SQLite reads every row to check the state again.
CREATE INDEX call_queue_line ON call_queue (joined_at, id, state) WHERE state IN ('waiting', 'ringing');
-- How many calls left the line one way in a span (the wallboard's
-- callers who gave up today).
CREATE INDEX call_queue_left ON call_queue (state, updated_at);
