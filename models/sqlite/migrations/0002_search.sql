-- Full-text search over tickets, and open/closed counts kept by triggers
-- so counting is one row read however many tickets there are. Both are
-- filled from the rows already there.

CREATE TABLE ticket_counts (
	status TEXT PRIMARY KEY,
	n      INTEGER NOT NULL
) STRICT;
INSERT INTO ticket_counts (status, n)
	SELECT status, count(*) FROM tickets GROUP BY status;

CREATE TRIGGER tickets_count_insert AFTER INSERT ON tickets BEGIN
	INSERT INTO ticket_counts (status, n) VALUES (new.status, 1)
		ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER tickets_count_update AFTER UPDATE OF status ON tickets
WHEN old.status <> new.status BEGIN
	UPDATE ticket_counts SET n = n - 1 WHERE status = old.status;
	INSERT INTO ticket_counts (status, n) VALUES (new.status, 1)
		ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER tickets_count_delete AFTER DELETE ON tickets BEGIN
	UPDATE ticket_counts SET n = n - 1 WHERE status = old.status;
END;

-- External content: the text lives once, in tickets.
CREATE VIRTUAL TABLE tickets_fts USING fts5 (
	name, phone, description,
	content = 'tickets', content_rowid = 'number'
);
INSERT INTO tickets_fts (tickets_fts) VALUES ('rebuild');

CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN
	INSERT INTO tickets_fts (rowid, name, phone, description)
		VALUES (new.number, new.name, new.phone, new.description);
END;
CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets BEGIN
	INSERT INTO tickets_fts (tickets_fts, rowid, name, phone, description)
		VALUES ('delete', old.number, old.name, old.phone, old.description);
END;
-- Only the indexed columns: call summaries and status change often.
CREATE TRIGGER tickets_fts_update AFTER UPDATE OF name, phone, description ON tickets BEGIN
	INSERT INTO tickets_fts (tickets_fts, rowid, name, phone, description)
		VALUES ('delete', old.number, old.name, old.phone, old.description);
	INSERT INTO tickets_fts (rowid, name, phone, description)
		VALUES (new.number, new.name, new.phone, new.description);
END;
