// The Codex CLI's auth.json, as claudegpt reads it. There is no pure function from text to
// credentials: the reader (read_auth_file in upstream/codex_auth.cc) is internal to CodexAuth,
// which takes a path. So each input is written to a private temp file and read through the
// public API, CodexAuth::current() and after_unauthorized(); the token endpoint is a URL with a
// scheme curl refuses at once, so a refresh fails without touching the network (and nothing is
// ever written back: that needs a successful refresh). The JWT claim readers, jwt_expiry and
// jwt_account_id, are pure and also get the raw input and every string of the file.
//
// Property: any file gives credentials or a CodexAuthError (→ 401 / 503), nothing else, and
// never credentials without an access token.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include <boost/json.hpp>
#include <curl/curl.h>

#include "fuzz_support.h"
#include "support/log.h"
#include "upstream/codex_auth.h"

namespace claudegpt {
namespace {

namespace json = boost::json;

std::string auth_path;  // the one file every input is written to

void remove_temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(std::filesystem::path(auth_path).parent_path(), ec);
}

void write_file(std::string_view bytes) {
  std::FILE* file = std::fopen(auth_path.c_str(), "wb");
  if (!file) std::abort();
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), file) != bytes.size())
    std::abort();
  std::fclose(file);
}

// Every string in the document goes through the JWT readers, as any token might.
void read_claims_of_strings(const json::value& value, int depth = 0) {
  if (depth > 8) return;
  if (value.is_string()) {
    jwt_expiry(value.get_string());
    jwt_account_id(value.get_string());
  } else if (value.is_object()) {
    for (const auto& entry : value.get_object()) read_claims_of_strings(entry.value(), depth + 1);
  } else if (value.is_array()) {
    for (const json::value& item : value.get_array()) read_claims_of_strings(item, depth + 1);
  }
}

CodexCredentials credentials_or_error(CodexAuth& auth, const std::string* rejected) {
  try {
    CodexCredentials credentials = rejected ? auth.after_unauthorized(*rejected) : auth.current();
    FUZZ_CHECK(!credentials.access_token.empty(), "credentials without an access token");
    return credentials;
  } catch (const CodexAuthError&) {
    return {};
  }
}

}  // namespace
}  // namespace claudegpt

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  using namespace claudegpt;
  set_log_file(nullptr);  // refresh failures are logged: not wanted 10,000 times a second
  curl_global_init(CURL_GLOBAL_DEFAULT);  // held for the run: CodexAuth's own is reference counted
  const char* base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  std::string dir = std::string(base) + "/claudegpt-fuzz-auth-XXXXXX";
  if (!mkdtemp(dir.data())) std::abort();
  auth_path = dir + "/auth.json";
  std::atexit(remove_temp_dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace claudegpt;
  const std::string_view bytes = fuzz::as_text(data, size);
  jwt_expiry(bytes);
  jwt_account_id(bytes);
  boost::system::error_code ec;
  const json::value document = json::parse(bytes, ec);
  if (!ec) read_claims_of_strings(document);

  write_file(bytes);
  CodexAuthOptions options;
  options.auth_file = auth_path;
  options.token_url = "fuzz-no-network://auth.invalid/oauth/token";
  options.retry_cooldown = std::chrono::seconds(0);
  CodexAuth auth(options);
  const CodexCredentials first = credentials_or_error(auth, nullptr);
  if (!first.access_token.empty()) {
    credentials_or_error(auth, nullptr);  // from memory
    credentials_or_error(auth, &first.access_token);  // the upstream refused it
  }
  return 0;
}
