-- Every product shard: database shard_1 .. shard_N on cluster "products".
-- One shard holds many tenants, of every product. Which shard holds which
-- product of a site is in catalog.placements. Tables carry a "product" in
-- platform.yaml; within a product they are listed parents first.
-- Every table: site_id, primary key (site_id, id), foreign keys including
-- site_id. Columns marked "remap" embed the site ID.

SET client_min_messages = warning;

-- ---------------------------------------------------------------- jira
CREATE TABLE IF NOT EXISTS jira_projects (
    site_id  text NOT NULL,
    id       bigint NOT NULL,
    key      text NOT NULL,
    name     text NOT NULL,
    self_url text NOT NULL,                          -- remap
    PRIMARY KEY (site_id, id)
);

CREATE TABLE IF NOT EXISTS jira_issues (
    site_id     text NOT NULL,
    id          bigint NOT NULL,
    project_id  bigint NOT NULL,
    key         text NOT NULL,
    summary     text NOT NULL,
    description text NOT NULL DEFAULT '',
    status      text NOT NULL,
    reporter_id bigint NOT NULL,                     -- identity users.id of the same site
    self_url    text NOT NULL,                       -- remap
    links       jsonb NOT NULL DEFAULT '{}',         -- remap
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (site_id, id),
    FOREIGN KEY (site_id, project_id) REFERENCES jira_projects (site_id, id)
);

CREATE TABLE IF NOT EXISTS jira_comments (
    site_id    text NOT NULL,
    id         bigint NOT NULL,
    issue_id   bigint NOT NULL,
    author_id  bigint NOT NULL,
    body       text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (site_id, id),
    FOREIGN KEY (site_id, issue_id) REFERENCES jira_issues (site_id, id)
);

CREATE TABLE IF NOT EXISTS jira_attachments (
    site_id    text NOT NULL,
    id         bigint NOT NULL,
    issue_id   bigint NOT NULL,
    filename   text NOT NULL,
    object_key text NOT NULL,                        -- remap: sites/{site_id}/jira/{id}/{filename}
    size       bigint NOT NULL,
    sha256     text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (site_id, id),
    FOREIGN KEY (site_id, issue_id) REFERENCES jira_issues (site_id, id)
);

-- ---------------------------------------------------------------- confluence
CREATE TABLE IF NOT EXISTS conf_spaces (
    site_id  text NOT NULL,
    id       bigint NOT NULL,
    key      text NOT NULL,
    name     text NOT NULL,
    self_url text NOT NULL,                          -- remap
    PRIMARY KEY (site_id, id)
);

CREATE TABLE IF NOT EXISTS conf_pages (
    site_id    text NOT NULL,
    id         bigint NOT NULL,
    space_id   bigint NOT NULL,
    title      text NOT NULL,
    body       text NOT NULL,
    author_id  bigint NOT NULL,
    self_url   text NOT NULL,                        -- remap
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (site_id, id),
    FOREIGN KEY (site_id, space_id) REFERENCES conf_spaces (site_id, id)
);

CREATE TABLE IF NOT EXISTS conf_comments (
    site_id    text NOT NULL,
    id         bigint NOT NULL,
    page_id    bigint NOT NULL,
    author_id  bigint NOT NULL,
    body       text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (site_id, id),
    FOREIGN KEY (site_id, page_id) REFERENCES conf_pages (site_id, id)
);

CREATE TABLE IF NOT EXISTS conf_attachments (
    site_id    text NOT NULL,
    id         bigint NOT NULL,
    page_id    bigint NOT NULL,
    filename   text NOT NULL,
    object_key text NOT NULL,                        -- remap: sites/{site_id}/confluence/{id}/{filename}
    size       bigint NOT NULL,
    sha256     text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (site_id, id),
    FOREIGN KEY (site_id, page_id) REFERENCES conf_pages (site_id, id)
);

-- ---------------------------------------------------------------- jira-service-management
CREATE TABLE IF NOT EXISTS jsm_queues (
    site_id text NOT NULL,
    id      bigint NOT NULL,
    name    text NOT NULL,
    PRIMARY KEY (site_id, id)
);

CREATE TABLE IF NOT EXISTS jsm_requests (
    site_id    text NOT NULL,
    id         bigint NOT NULL,
    queue_id   bigint NOT NULL,
    summary    text NOT NULL,
    status     text NOT NULL,
    portal_url text NOT NULL,                        -- remap
    created_at timestamptz NOT NULL,
    PRIMARY KEY (site_id, id),
    FOREIGN KEY (site_id, queue_id) REFERENCES jsm_queues (site_id, id)
);

-- ---------------------------------------------------------------- opsgenie
CREATE TABLE IF NOT EXISTS og_alerts (
    site_id    text NOT NULL,
    id         bigint NOT NULL,
    message    text NOT NULL,
    priority   text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (site_id, id)
);

-- ---------------------------------------------------------------- statuspage
CREATE TABLE IF NOT EXISTS sp_components (
    site_id  text NOT NULL,
    id       bigint NOT NULL,
    name     text NOT NULL,
    status   text NOT NULL,
    page_url text NOT NULL,                          -- remap
    PRIMARY KEY (site_id, id)
);

-- ---------------------------------------------------------------- foreign-key indexes
-- Every child side of a foreign key is indexed: without these, deleting one
-- large tenant's parent rows scans its child rows once per parent (minutes
-- for a 50k-row tenant instead of under a second).
CREATE INDEX IF NOT EXISTS jira_issues_project_fk      ON jira_issues (site_id, project_id);
CREATE INDEX IF NOT EXISTS jira_comments_issue_fk      ON jira_comments (site_id, issue_id);
CREATE INDEX IF NOT EXISTS jira_attachments_issue_fk   ON jira_attachments (site_id, issue_id);
CREATE INDEX IF NOT EXISTS conf_pages_space_fk         ON conf_pages (site_id, space_id);
CREATE INDEX IF NOT EXISTS conf_comments_page_fk       ON conf_comments (site_id, page_id);
CREATE INDEX IF NOT EXISTS conf_attachments_page_fk    ON conf_attachments (site_id, page_id);
CREATE INDEX IF NOT EXISTS jsm_requests_queue_fk       ON jsm_requests (site_id, queue_id);
