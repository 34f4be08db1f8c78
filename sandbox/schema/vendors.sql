-- Database "vendors" on cluster "platform": owned by the vendor service (the
-- third parties' own records). NOT a restorable store: vendors keep their
-- own records; Lazarus tells them to reattach (same ID) or migrate (new ID).

SET client_min_messages = warning;

CREATE TABLE IF NOT EXISTS vendor_installations (
    app_id     text PRIMARY KEY,
    site_id    text NOT NULL,                        -- the site the vendor believes the app is on
    vendor     text NOT NULL,
    app_name   text NOT NULL,
    status     text NOT NULL DEFAULT 'installed',    -- installed | uninstalled | pending
    -- delay_ms: how long this vendor takes to answer reattach/migrate (0 = at once).
    delay_ms   integer NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS vendor_installations_site_idx ON vendor_installations (site_id);

-- Reattach / migrate requests; done when now() >= ready_at.
CREATE TABLE IF NOT EXISTS vendor_operations (
    id          text PRIMARY KEY,
    kind        text NOT NULL,                       -- reattach | migrate
    app_id      text NOT NULL,
    old_site_id text NOT NULL DEFAULT '',
    site_id     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    ready_at    timestamptz NOT NULL,
    done        boolean NOT NULL DEFAULT false,
    error       text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS vendor_operations_app_idx ON vendor_operations (app_id);

-- Every uninstall callback received (what the vendor was told, when).
CREATE TABLE IF NOT EXISTS vendor_events (
    id      bigserial PRIMARY KEY,
    kind    text NOT NULL,                           -- uninstall | reattach | migrate
    app_id  text NOT NULL,
    site_id text NOT NULL,
    at      timestamptz NOT NULL DEFAULT now()
);
