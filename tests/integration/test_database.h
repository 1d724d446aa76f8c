// A database of its own for a test, in the run's PostgreSQL server (the `postgres` fixture in
// tests/CMakeLists.txt, which names the file holding the server's URL in
// CLAUDEGPT_TEST_POSTGRES). Each call makes a new, empty one, so tests never see each other's
// rows; the server and all its databases go when the run ends.
#pragma once

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

#include "gateway/pg_connection.h"
#include "support/random_id.h"

namespace claudegpt::testing {

// The URL of a new database.
inline std::string fresh_test_database() {
  const char* handle = std::getenv("CLAUDEGPT_TEST_POSTGRES");
  if (!handle) throw std::runtime_error("CLAUDEGPT_TEST_POSTGRES is not set: run this test through ctest");
  std::string server_url;
  std::ifstream(handle) >> server_url;
  if (server_url.empty()) throw std::runtime_error(std::string("no server URL in ") + handle);
  std::string name = random_id("t_");
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  PgConnection(server_url).exec("CREATE DATABASE " + name);
  return server_url.substr(0, server_url.rfind('/') + 1) + name;
}

}  // namespace claudegpt::testing
