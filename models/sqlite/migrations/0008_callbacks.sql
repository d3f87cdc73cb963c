-- Customers in line who asked to be called back: pending until an agent
-- calls their ticket. The partial indexes hold only the pending ones, so
-- the dashboard's list and the "made" update read just those.
CREATE TABLE callbacks (
	id           TEXT PRIMARY KEY,
	sid          TEXT NOT NULL UNIQUE,
	ticket_id    TEXT NOT NULL,
	ticket_no    INTEGER NOT NULL, -- copies from the ticket, for the list
	name         TEXT NOT NULL,
	number       TEXT NOT NULL,
	requested_at INTEGER NOT NULL,
	done_at      INTEGER
) STRICT;
CREATE INDEX callbacks_pending ON callbacks (requested_at, id) WHERE done_at IS NULL;
CREATE INDEX callbacks_pending_ticket ON callbacks (ticket_id) WHERE done_at IS NULL;
