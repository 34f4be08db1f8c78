-- Database "catalog" on cluster "platform".
-- Four stores share this database (a store = a group of tables):
--   catalog  (kind catalog):  sites, site_config, licenses, product_activations, placements, app_installations
--   identity (kind identity): users, groups, memberships, permissions, site_admins
--   flags    (kind flags):    site_flags
--   audit    (kind audit):    id_registry, deletion_events   -- never deleted by the bad script, never restored
-- Every tenant table has a site_id column and a primary key starting with site_id,
-- so a tenant's rows can be copied back (or under a new site ID) without touching
-- other tenants. IDs (site IDs, app IDs) are UUIDs in text form.
-- Columns marked "remap" embed the site ID (URLs, object keys, JSON) and are
-- listed as remap_columns in platform.yaml.

SET client_min_messages = warning;

-- ---------------------------------------------------------------- catalog
CREATE TABLE IF NOT EXISTS sites (
    site_id        text PRIMARY KEY,                 -- immutable cloud ID
    url            text NOT NULL,                    -- e.g. https://acme-42.example-cloud.test
    region         text NOT NULL,                    -- us-east, us-west, eu-central, eu-west, ap-southeast
    tier           text NOT NULL,                    -- free | standard | premium | enterprise
    status         text NOT NULL DEFAULT 'active',   -- active | provisioning | suspended
    owner          text NOT NULL DEFAULT 'customer', -- customer | internal (owned by the platform company)
    customer_id    text NOT NULL,                    -- one customer may own several sites
    self_url       text NOT NULL,                    -- remap: https://api.example-cloud.test/sites/{site_id}
    restored_from  text,                             -- Restore 1: the old site ID this site was restored from
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    last_active_at timestamptz
);
CREATE INDEX IF NOT EXISTS sites_url_idx ON sites (url);
CREATE INDEX IF NOT EXISTS sites_restored_from_idx ON sites (restored_from);

CREATE TABLE IF NOT EXISTS site_config (
    site_id text NOT NULL REFERENCES sites (site_id),
    key     text NOT NULL,
    value   text NOT NULL,                           -- remap (some values embed the site ID)
    PRIMARY KEY (site_id, key)
);

CREATE TABLE IF NOT EXISTS licenses (
    site_id    text NOT NULL REFERENCES sites (site_id),
    id         bigint NOT NULL,
    tier       text NOT NULL,
    seats      integer NOT NULL,
    starts_at  timestamptz NOT NULL,
    expires_at timestamptz,
    PRIMARY KEY (site_id, id)
);

CREATE TABLE IF NOT EXISTS product_activations (
    site_id      text NOT NULL REFERENCES sites (site_id),
    product      text NOT NULL,                      -- jira | confluence | jira-service-management | opsgenie | statuspage
    status       text NOT NULL DEFAULT 'active',     -- active | pending
    activated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, product)
);

-- Which shard holds each product of each site.
CREATE TABLE IF NOT EXISTS placements (
    site_id  text NOT NULL,
    product  text NOT NULL,
    cluster  text NOT NULL,                          -- "products"
    database text NOT NULL,                          -- shard_1 .. shard_N
    store    text NOT NULL,                          -- store name in platform.yaml (= database)
    region   text NOT NULL,
    PRIMARY KEY (site_id, product),
    FOREIGN KEY (site_id, product) REFERENCES product_activations (site_id, product)
);

-- Third-party apps installed on a site. app_id is a separate ID space that
-- looks exactly like site IDs (both UUIDs).
CREATE TABLE IF NOT EXISTS app_installations (
    site_id      text NOT NULL REFERENCES sites (site_id),
    app_id       text NOT NULL,
    vendor       text NOT NULL,
    name         text NOT NULL,
    status       text NOT NULL DEFAULT 'installed',  -- installed | uninstalled | pending
    callback_url text NOT NULL,                      -- remap: vendor callback naming the site ID
    installed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, app_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS app_installations_app_id_idx ON app_installations (app_id);

-- ---------------------------------------------------------------- identity
CREATE TABLE IF NOT EXISTS users (
    site_id      text NOT NULL REFERENCES sites (site_id),
    id           bigint NOT NULL,
    account_id   text NOT NULL,                      -- global account UUID (not a site ID)
    email        text NOT NULL,
    display_name text NOT NULL,
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, id)
);

CREATE TABLE IF NOT EXISTS groups (
    site_id text NOT NULL REFERENCES sites (site_id),
    id      bigint NOT NULL,
    name    text NOT NULL,
    PRIMARY KEY (site_id, id)
);

CREATE TABLE IF NOT EXISTS memberships (
    site_id  text NOT NULL,
    group_id bigint NOT NULL,
    user_id  bigint NOT NULL,
    PRIMARY KEY (site_id, group_id, user_id),
    FOREIGN KEY (site_id, group_id) REFERENCES groups (site_id, id),
    FOREIGN KEY (site_id, user_id) REFERENCES users (site_id, id)
);

CREATE TABLE IF NOT EXISTS permissions (
    site_id    text NOT NULL,
    group_id   bigint NOT NULL,
    permission text NOT NULL,                        -- e.g. jira:admin, confluence:use
    PRIMARY KEY (site_id, group_id, permission),
    FOREIGN KEY (site_id, group_id) REFERENCES groups (site_id, id)
);

-- The contacts: a site's admins. Without them a customer cannot open a ticket.
CREATE TABLE IF NOT EXISTS site_admins (
    site_id  text NOT NULL,
    user_id  bigint NOT NULL,
    email    text NOT NULL,
    phone    text NOT NULL DEFAULT '',
    PRIMARY KEY (site_id, user_id),
    FOREIGN KEY (site_id, user_id) REFERENCES users (site_id, id)
);

-- Child sides of foreign keys not led by their primary key.
CREATE INDEX IF NOT EXISTS memberships_user_fk ON memberships (site_id, user_id);

-- ---------------------------------------------------------------- flags
CREATE TABLE IF NOT EXISTS site_flags (
    site_id    text NOT NULL REFERENCES sites (site_id),
    flag       text NOT NULL,
    enabled    boolean NOT NULL,
    value      text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, flag)
);

-- ---------------------------------------------------------------- audit
-- Every ID ever created, with its kind: a deleted ID stays known here.
CREATE TABLE IF NOT EXISTS id_registry (
    id         text PRIMARY KEY,
    kind       text NOT NULL,                        -- site | app
    site_id    text NOT NULL,                        -- the site itself, or the site of an app
    url        text NOT NULL DEFAULT '',             -- a site's URL
    app_name   text NOT NULL DEFAULT '',             -- an app's name
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS id_registry_site_idx ON id_registry (site_id);

-- What the permanent-delete API deleted, and when. Never deleted, never restored.
CREATE TABLE IF NOT EXISTS deletion_events (
    id         bigserial PRIMARY KEY,
    kind       text NOT NULL,                        -- site | app
    target_id  text NOT NULL,                        -- the ID given to the API
    site_id    text NOT NULL,                        -- the site (itself, or the app's site)
    deleted_at timestamptz NOT NULL,
    what       jsonb NOT NULL DEFAULT '{}'           -- url, users, app_name, rows per store, objects
);
CREATE INDEX IF NOT EXISTS deletion_events_target_idx ON deletion_events (target_id);
CREATE INDEX IF NOT EXISTS deletion_events_site_idx ON deletion_events (site_id);
