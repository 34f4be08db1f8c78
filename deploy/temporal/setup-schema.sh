#!/bin/sh
# Creates (or upgrades) Temporal's two PostgreSQL databases, the default
# store and the visibility store, with temporal-sql-tool from the
# temporalio/admin-tools image. docker-compose.yml runs it as the
# temporal-schema job before the server starts.
#
# Every step is safe to repeat on the next `docker compose up`:
#   create         does nothing when the database exists;
#   setup-schema   -v 0.0 only adds the version tables, and leaves a schema
#                  already past 0.0 alone;
#   update-schema  applies the versioned scripts above the recorded version
#                  (after an image upgrade, the new server's ones).
# Any other failure stops the job (set -e; temporal-sql-tool exits 1 on
# error), and the server, which waits for this job to complete
# successfully, does not start.
#
# The connection comes from the environment, which temporal-sql-tool reads:
# SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD.
set -eu

: "${SQL_HOST:?SQL_HOST is required}"
: "${SQL_USER:?SQL_USER is required}"
# The schema files of the admin-tools image (SCHEMA_DIR elsewhere).
schema=${SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}

for store in temporal:temporal visibility:temporal_visibility; do
  dir=${store%%:*}
  db=${store#*:}
  echo "temporal-schema: database $db (schema $schema/$dir)"
  temporal-sql-tool --db "$db" create
  temporal-sql-tool --db "$db" setup-schema -v 0.0
  temporal-sql-tool --db "$db" update-schema -d "$schema/$dir/versioned"
done
echo "temporal-schema: done"
