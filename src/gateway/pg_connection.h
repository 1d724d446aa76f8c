// One connection to PostgreSQL through libpq, with blocking calls: for the gateway's
// background threads and its commands, never for an I/O thread.
//
// Parameters always travel apart from the SQL text (PQexecParams), as text; a null
// std::optional is SQL NULL. Every failure is a PgError carrying SQLSTATE, so a caller can tell
// a lost connection (class 08, or none at all) from a constraint it broke (class 23).
#pragma once

#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

struct pg_conn;
struct pg_result;

namespace claudegpt {

class PgError : public std::runtime_error {
 public:
  PgError(const std::string& message, std::string sqlstate)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
  // Five characters ("23505"), or "" when the server never answered.
  const std::string& sqlstate() const { return sqlstate_; }
  // The connection is gone (or never was): retrying on a new one may work.
  bool connection_lost() const { return sqlstate_.empty() || sqlstate_.starts_with("08") || sqlstate_ == "57P01"; }
  bool unique_violation() const { return sqlstate_ == "23505"; }

 private:
  std::string sqlstate_;
};

// A query's rows. Values are text as PostgreSQL prints them (booleans "t"/"f").
class PgResult {
 public:
  explicit PgResult(pg_result* result) : result_(result) {}
  ~PgResult();
  PgResult(PgResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  int rows() const;
  std::string_view text(int row, int column) const;
  bool is_null(int row, int column) const;
  std::optional<std::string> optional_text(int row, int column) const;
  // Rows an INSERT, UPDATE or DELETE touched.
  long affected() const;

 private:
  pg_result* result_;
};

using PgParam = std::optional<std::string>;

class PgConnection {
 public:
  // `conninfo`: a postgres:// URL or "key=value" pairs; "" takes libpq's PG* environment
  // variables. Connects within 10 s (unless the conninfo says otherwise) or throws PgError.
  explicit PgConnection(const std::string& conninfo);
  ~PgConnection();
  PgConnection(PgConnection&& other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }
  PgConnection& operator=(PgConnection&&) = delete;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  PgResult exec(std::string_view sql, const std::vector<PgParam>& params = {});
  PgResult exec(std::string_view sql, std::initializer_list<PgParam> params) {
    return exec(sql, std::vector<PgParam>(params));
  }

  // Several statements without parameters (a schema migration), through the simple protocol.
  void run_script(std::string_view sql);

  // Runs `work` inside BEGIN … COMMIT, rolling back when it throws (and rethrowing).
  template <typename Work>
  auto transaction(Work&& work) {
    exec("BEGIN");
    try {
      if constexpr (std::is_void_v<decltype(work())>) {
        work();
        exec("COMMIT");
      } else {
        auto result = work();
        exec("COMMIT");
        return result;
      }
    } catch (...) {
      rollback_quietly();
      throw;
    }
  }

  // LISTEN/NOTIFY: the socket to wait on, and the notifications that arrived (reading what the
  // socket has first). Each is {channel, payload}.
  int socket() const;
  std::vector<std::pair<std::string, std::string>> notifications();

 private:
  void rollback_quietly() noexcept;
  [[noreturn]] void fail(const std::string& what, pg_result* result);

  pg_conn* conn_;
};

}  // namespace claudegpt
