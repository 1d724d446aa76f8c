#include "gateway/pg_connection.h"

#include <libpq-fe.h>

namespace claudegpt {

namespace {

// libpq's message on one line: it continues lines with "\n\t" ("… refused\n\tIs the server
// running …"), and the log and the commands print one line per error.
std::string one_line(const char* message) {
  std::string text;
  for (const char* c = message ? message : ""; *c; ++c) {
    if (*c == '\n' || *c == '\t') {
      if (!text.empty() && text.back() != ' ') text.push_back(' ');
    } else {
      text.push_back(*c);
    }
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

}  // namespace

PgResult::~PgResult() { PQclear(result_); }

PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    PQclear(result_);
    result_ = other.result_;
    other.result_ = nullptr;
  }
  return *this;
}

int PgResult::rows() const { return result_ ? PQntuples(result_) : 0; }

std::string_view PgResult::text(int row, int column) const {
  return {PQgetvalue(result_, row, column), static_cast<std::size_t>(PQgetlength(result_, row, column))};
}

bool PgResult::is_null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }

std::optional<std::string> PgResult::optional_text(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return std::string(text(row, column));
}

long PgResult::affected() const {
  const char* count = result_ ? PQcmdTuples(result_) : "";
  return *count ? std::stol(count) : 0;
}

PgConnection::PgConnection(const std::string& conninfo) {
  // A connect_timeout unless the conninfo sets one (its values, expanded from "dbname", override
  // the ones before it): a database that does not answer must not hang a command or a
  // gateway's start for libpq's default of forever.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", "claudegpt", conninfo.c_str(), nullptr};
  conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (!conn_) throw PgError("cannot connect to PostgreSQL: out of memory", "");
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string message = "cannot connect to PostgreSQL: " + one_line(PQerrorMessage(conn_));
    PQfinish(conn_);
    conn_ = nullptr;
    throw PgError(message, "");
  }
}

PgConnection::~PgConnection() {
  if (conn_) PQfinish(conn_);
}

PgResult PgConnection::exec(std::string_view sql, const std::vector<PgParam>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const PgParam& param : params) values.push_back(param ? param->c_str() : nullptr);
  const std::string statement(sql);
  pg_result* result = PQexecParams(conn_, statement.c_str(), static_cast<int>(values.size()), nullptr,
                                   values.data(), nullptr, nullptr, /*resultFormat=*/0);
  ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail("PostgreSQL", result);
  return PgResult(result);
}

void PgConnection::run_script(std::string_view sql) {
  const std::string text(sql);
  pg_result* result = PQexec(conn_, text.c_str());
  ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail("PostgreSQL", result);
  PQclear(result);
}

void PgConnection::fail(const std::string& what, pg_result* result) {
  std::string sqlstate;
  std::string message;
  if (result) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    sqlstate = state ? state : "";
    message = one_line(PQresultErrorMessage(result));
    PQclear(result);
  }
  if (message.empty()) message = one_line(PQerrorMessage(conn_));
  if (PQstatus(conn_) == CONNECTION_BAD) sqlstate.clear();  // (the connection is what failed)
  throw PgError(what + ": " + message, sqlstate);
}

void PgConnection::rollback_quietly() noexcept {
  PQclear(PQexec(conn_, "ROLLBACK"));
}

int PgConnection::socket() const { return PQsocket(conn_); }

std::vector<std::pair<std::string, std::string>> PgConnection::notifications() {
  if (!PQconsumeInput(conn_)) fail("PostgreSQL", nullptr);
  std::vector<std::pair<std::string, std::string>> out;
  while (PGnotify* note = PQnotifies(conn_)) {
    out.emplace_back(note->relname, note->extra ? note->extra : "");
    PQfreemem(note);
  }
  return out;
}

}  // namespace claudegpt
