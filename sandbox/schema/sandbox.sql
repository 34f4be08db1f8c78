-- Database "sandbox" on cluster "platform": the sandbox's own bookkeeping,
-- never a store of the platform (never deleted, never restored).

SET client_min_messages = warning;

-- Truth: per site, per store, a canonical checksum of the site's data (rows
-- with the site ID normalised; media keys + content hashes) at recorded_at.
-- store is a store name from platform.yaml, or "media".
CREATE TABLE IF NOT EXISTS truth (
    site_id     text NOT NULL,
    store       text NOT NULL,
    checksum    text NOT NULL,
    row_count   bigint NOT NULL,
    tables      jsonb NOT NULL DEFAULT '{}',         -- per table: rows and fingerprint
    recorded_at timestamptz NOT NULL,
    PRIMARY KEY (site_id, store, recorded_at)
);

-- The traffic generator's log: every row (or object) it wrote, so that
-- verification can tell its writes from damage. Traffic only INSERTs new
-- rows (never updates or deletes existing ones), logs each row after its
-- INSERT ... RETURNING and before its commit, and takes row IDs from
-- traffic_row_id (far above any seeded ID); verification leaves the logged
-- rows that exist out of the checksum.
--   store:      store name from platform.yaml ("media" for objects)
--   table_name: the table it inserted into (empty for media)
--   row_id:     the "id" column of the inserted row (tables with an id column only)
--   object_key: for media, the key written
CREATE TABLE IF NOT EXISTS traffic_log (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    site_id    text NOT NULL,
    store      text NOT NULL,
    table_name text NOT NULL DEFAULT '',
    row_id     bigint,
    object_key text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS traffic_log_site_idx ON traffic_log (site_id, store);

-- Row IDs of traffic rows: unique across tables, sites and runs, and never
-- an ID the seed uses (traffic.RowIDBase).
CREATE SEQUENCE IF NOT EXISTS traffic_row_id MINVALUE 1000000000000 START 1000000000000;
