-- Settings an admin changes while Ringdesk runs, one row each, the value
-- as JSON: business hours first. A missing row is the default.
CREATE TABLE settings (
	name       TEXT PRIMARY KEY,
	value      TEXT NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;
