-- Call reports walk the call log by start time, over days or a whole
-- year: one range of this index, in the order the reports read it (ties
-- by id), never a scan or a sort of the table.
CREATE INDEX calls_started ON calls (started_at, id);
