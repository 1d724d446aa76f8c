// The gateway's tables in PostgreSQL, and bringing a database up to date with them.
//
// Versions are numbered from 1; each is one transaction of DDL, recorded in
// `claudegpt_schema` (version, applied_at). migrate() takes a session advisory lock first, so
// when several gateway instances start at once each version is applied exactly once: the
// others wait for the lock, then find nothing left to do. A later version only adds (tables,
// columns with defaults, indexes), so an older claudegpt keeps working on a newer database.
//
// Version 1: `keys`, the virtual keys (gateway/key_store.h).
#pragma once

namespace claudegpt {

class PgConnection;

inline constexpr int kGatewaySchemaVersion = 1;

// Applies the versions `db` lacks; returns the database's version afterwards (higher than
// kGatewaySchemaVersion when a newer claudegpt got there first). Throws PgError.
int migrate_gateway_schema(PgConnection& db);

}  // namespace claudegpt
