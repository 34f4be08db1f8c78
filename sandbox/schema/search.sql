-- Database "search" on cluster "platform": the derived store (kind "derived").
-- The search service rebuilds a site's documents from its product data; a
-- restore reindexes, it never copies these rows.

SET client_min_messages = warning;

CREATE TABLE IF NOT EXISTS search_docs (
    site_id    text NOT NULL,
    product    text NOT NULL,                        -- jira | confluence | ...
    doc_id     text NOT NULL,                        -- e.g. issue:42, page:7
    title      text NOT NULL,
    body       text NOT NULL DEFAULT '',
    url        text NOT NULL,                        -- embeds the site ID
    indexed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, product, doc_id)
);
