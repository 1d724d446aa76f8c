// CodexAuth against a real auth.json in a temp directory and a token endpoint on loopback:
// when it refreshes (and when it must not), single flight under concurrency, the write-back
// (atomic, 0600, every other field kept), and what the user is told when the login is dead.
#include "upstream/codex_auth.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <latch>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace claudegpt {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// ---- JWTs ------------------------------------------------------------------------------

std::string base64url(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (unsigned char c : in) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(kAlphabet[(bits >> count) & 63]);
    }
  }
  if (count > 0) out.push_back(kAlphabet[(bits << (6 - count)) & 63]);
  return out;
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// An access token shaped like OpenAI's: expiry and account in the payload; a junk signature
// (nothing checks it). `nonce` makes tokens with the same expiry differ.
std::string make_jwt(std::int64_t expires_at, std::string_view account_id = "acct-jwt",
                     std::string_view nonce = "") {
  json::object payload = {{"exp", expires_at},
                          {"jti", nonce},
                          {"https://api.openai.com/auth", {{"chatgpt_account_id", account_id}}}};
  return base64url(R"({"alg":"RS256","typ":"JWT"})") + "." +
         base64url(json::serialize(payload)) + ".c2lnbmF0dXJl";
}

std::string expired_token(std::string_view nonce = "old") {
  return make_jwt(now_seconds() - 60, "acct-jwt", nonce);
}
std::string fresh_token(std::string_view nonce = "new") {
  return make_jwt(now_seconds() + 3600, "acct-jwt", nonce);
}

// ---- a token endpoint on loopback ------------------------------------------------------

struct ReceivedRequest {
  std::string method, target, content_type, user_agent, body;
};

struct CannedResponse {
  int status = 200;
  std::string body;
  std::chrono::milliseconds delay{0};
};

// One connection at a time, `Connection: close`: enough for an OAuth token endpoint.
class TokenServer {
 public:
  TokenServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int on = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 64) != 0)
      throw std::runtime_error("cannot listen on loopback");
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }

  ~TokenServer() {
    stopping_ = true;
    thread_.join();
    ::close(listener_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/oauth/token"; }

  // Runs on the server thread when a request arrives, before the answer.
  void on_request(std::function<void()> hook) {
    std::lock_guard lock(mutex_);
    on_request_ = std::move(hook);
  }

  void respond(CannedResponse response) {
    std::lock_guard lock(mutex_);
    response_ = std::move(response);
  }

  // Answers as OpenAI does to a good refresh token: a new set of all three.
  void respond_with_tokens(const std::string& access, const std::string& refresh,
                           std::chrono::milliseconds delay = 0ms) {
    respond({200,
             json::serialize(json::object{{"id_token", make_jwt(now_seconds() + 3600, "acct-id", "issued")},
                                          {"access_token", access},
                                          {"refresh_token", refresh}}),
             delay});
  }

  std::size_t request_count() const {
    std::lock_guard lock(mutex_);
    return received_.size();
  }

  std::vector<ReceivedRequest> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  void serve() {
    while (!stopping_) {
      pollfd ready{listener_, POLLIN, 0};
      if (::poll(&ready, 1, 20) <= 0) continue;
      int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (connection < 0) continue;
      timeval timeout{5, 0};
      ::setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
      handle(connection);
      ::close(connection);
    }
  }

  void handle(int connection) {
    std::string data;
    char buffer[4096];
    std::size_t header_end;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(connection, buffer, sizeof buffer, 0);
      if (n <= 0) return;
      data.append(buffer, static_cast<std::size_t>(n));
    }
    ReceivedRequest request;
    std::map<std::string, std::string> headers;
    std::istringstream head(data.substr(0, header_end));
    std::string line;
    std::getline(head, line);
    std::istringstream request_line(line);
    request_line >> request.method >> request.target;
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    std::size_t length = headers.contains("content-length")
                             ? std::stoul(headers["content-length"]) : 0;
    request.body = data.substr(header_end + 4);
    while (request.body.size() < length) {
      ssize_t n = ::recv(connection, buffer, sizeof buffer, 0);
      if (n <= 0) return;
      request.body.append(buffer, static_cast<std::size_t>(n));
    }
    request.content_type = headers["content-type"];
    request.user_agent = headers["user-agent"];
    CannedResponse response;
    std::function<void()> hook;
    {
      std::lock_guard lock(mutex_);
      received_.push_back(request);
      response = response_;
      hook = on_request_;
    }
    if (hook) hook();
    std::this_thread::sleep_for(response.delay);
    std::string answer = "HTTP/1.1 " + std::to_string(response.status) +
                         " Canned\r\nContent-Type: application/json\r\nContent-Length: " +
                         std::to_string(response.body.size()) + "\r\nConnection: close\r\n\r\n" +
                         response.body;
    ::send(connection, answer.data(), answer.size(), MSG_NOSIGNAL);
  }

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  CannedResponse response_;
  std::function<void()> on_request_;
  std::vector<ReceivedRequest> received_;
  std::thread thread_;
};

// A loopback port nothing listens on: connecting is refused at once.
std::string unreachable_url() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(s);
  return "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/oauth/token";
}

// ---- auth.json in a temp directory -----------------------------------------------------

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "codex_auth_test-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// As the Codex CLI writes it, plus fields this version of claudegpt has never heard of.
json::object codex_login(const std::string& access, const std::string& refresh,
                         std::string_view account_id = "acct-file") {
  json::object tokens = {{"id_token", make_jwt(now_seconds() + 3600, "acct-id")},
                         {"access_token", access},
                         {"refresh_token", refresh}};
  if (!account_id.empty()) tokens["account_id"] = account_id;
  tokens["future_token_field"] = "kept";
  return {{"OPENAI_API_KEY", nullptr},
          {"tokens", tokens},
          {"last_refresh", "2025-01-01T00:00:00Z"},
          {"future_field", {{"nested", json::array{1, 2, 3}}}}};
}

void write_file(const fs::path& path, const json::object& document, fs::perms mode) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << json::serialize(document);
  }
  fs::permissions(path, mode);
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

json::object read_json(const fs::path& path) { return json::parse(read_text(path)).as_object(); }

std::string token_in(const fs::path& path, std::string_view key) {
  return std::string(read_json(path).at("tokens").at(key).as_string());
}

class CodexAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("no_proxy", "127.0.0.1,localhost", 1);  // the endpoint is ours, on loopback
  }

  CodexAuthOptions options() const {
    CodexAuthOptions o;
    o.auth_file = auth_file.string();
    o.token_url = server.url();
    return o;
  }

  void login(const std::string& access, const std::string& refresh,
             std::string_view account_id = "acct-file") {
    write_file(auth_file, codex_login(access, refresh, account_id), fs::perms::owner_read |
                                                                       fs::perms::owner_write);
  }

  TempDir dir;
  fs::path auth_file = dir.path() / "auth.json";
  TokenServer server;
};

// ---- when to refresh -------------------------------------------------------------------

TEST_F(CodexAuthTest, AFreshTokenIsUsedWithoutAskingTheTokenEndpoint) {
  std::string access = fresh_token();
  login(access, "rt-1");
  CodexAuth auth(options());

  CodexCredentials credentials = auth.current();
  EXPECT_EQ(credentials.access_token, access);
  EXPECT_EQ(credentials.account_id, "acct-file");
  EXPECT_EQ(auth.current().access_token, access);
  EXPECT_EQ(server.request_count(), 0u);
}

TEST_F(CodexAuthTest, TenConcurrentCallersWithAnExpiredTokenShareExactlyOneRefresh) {
  login(expired_token(), "rt-1");
  std::string renewed = fresh_token("renewed");
  server.respond_with_tokens(renewed, "rt-2", 300ms);  // slow, so the others pile up behind it
  CodexAuth auth(options());

  std::vector<std::string> seen(10);
  std::latch start(10);
  std::vector<std::thread> callers;
  for (int i = 0; i < 10; ++i)
    callers.emplace_back([&, i] {
      start.arrive_and_wait();
      seen[i] = auth.current().access_token;
    });
  for (auto& caller : callers) caller.join();

  EXPECT_EQ(server.request_count(), 1u);
  for (const auto& token : seen) EXPECT_EQ(token, renewed);
  EXPECT_EQ(token_in(auth_file, "access_token"), renewed);
  EXPECT_EQ(token_in(auth_file, "refresh_token"), "rt-2");
}

TEST_F(CodexAuthTest, TheRefreshIsAJsonPostOfTheRefreshTokenWithCodexsClientIdAndScope) {
  login(expired_token(), "rt-1");
  server.respond_with_tokens(fresh_token(), "rt-2");
  CodexAuth auth(options());
  auth.current();

  ASSERT_EQ(server.request_count(), 1u);
  ReceivedRequest request = server.received()[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/oauth/token");
  EXPECT_EQ(request.content_type, "application/json");
  json::object body = json::parse(request.body).as_object();
  EXPECT_EQ(body.at("client_id"), "app_EMoamEEZ73f0CkXaXp7hrann");
  EXPECT_EQ(body.at("grant_type"), "refresh_token");
  EXPECT_EQ(body.at("refresh_token"), "rt-1");
  // As the Codex CLI sends it: the token endpoint may refuse a refresh without (§2).
  EXPECT_EQ(body.at("scope"), "openid profile email");
  // The User-Agent of claudegpt's upstream requests, in the Codex CLI's shape.
  EXPECT_TRUE(std::regex_match(request.user_agent,
                               std::regex(R"(claudegpt/\S+ \([^;()]+; [^;()]+\) \S+)")))
      << request.user_agent;
}

TEST_F(CodexAuthTest, ATokenExpiringWithinTheMarginIsRefreshedBeforeItLapses) {
  login(make_jwt(now_seconds() + 120), "rt-1");  // two minutes left; the margin is five
  std::string renewed = fresh_token("renewed");
  server.respond_with_tokens(renewed, "rt-2");
  CodexAuth auth(options());

  EXPECT_EQ(auth.current().access_token, renewed);
  EXPECT_EQ(server.request_count(), 1u);
}

TEST_F(CodexAuthTest, ALoginTheCodexCliRefreshedMeanwhileIsReadInsteadOfRefreshingAgain) {
  // Good for 3 s against a 1 s margin: served from memory now, due for refresh in 2 s.
  std::string first = make_jwt(now_seconds() + 3, "acct-jwt", "first");
  login(first, "rt-1");
  CodexAuthOptions o = options();
  o.refresh_margin = 1s;
  CodexAuth auth(o);
  ASSERT_EQ(auth.current().access_token, first);

  std::string by_cli = fresh_token("by-cli");
  login(by_cli, "rt-cli");  // the Codex CLI refreshed and rotated the refresh token
  while (jwt_expiry(first) - now_seconds() > 1) std::this_thread::sleep_for(50ms);

  EXPECT_EQ(auth.current().access_token, by_cli);
  EXPECT_EQ(server.request_count(), 0u);
}

TEST_F(CodexAuthTest, ATokenTheEndpointLeavesOutKeepsItsOldValue) {
  login(expired_token(), "rt-1");
  std::string old_id_token = token_in(auth_file, "id_token");
  std::string renewed = fresh_token("renewed");
  server.respond({200, json::serialize(json::object{{"access_token", renewed}})});
  CodexAuth auth(options());

  EXPECT_EQ(auth.current().access_token, renewed);
  EXPECT_EQ(token_in(auth_file, "access_token"), renewed);
  EXPECT_EQ(token_in(auth_file, "refresh_token"), "rt-1");
  EXPECT_EQ(token_in(auth_file, "id_token"), old_id_token);
}

// ---- the write-back --------------------------------------------------------------------

TEST_F(CodexAuthTest, TheRewrittenFileKeepsEveryOtherFieldIsPrivateAndRecordsTheRefresh) {
  login(expired_token(), "rt-1");
  fs::permissions(auth_file, fs::perms::owner_read | fs::perms::owner_write |
                                 fs::perms::group_read | fs::perms::others_read);
  json::object before = read_json(auth_file);
  std::string renewed = fresh_token("renewed");
  server.respond_with_tokens(renewed, "rt-2");
  CodexAuth auth(options());
  std::int64_t started = now_seconds();
  auth.current();

  json::object after = read_json(auth_file);
  EXPECT_EQ(after.at("OPENAI_API_KEY"), nullptr);
  EXPECT_EQ(after.at("future_field"), before.at("future_field"));
  const json::object& tokens = after.at("tokens").as_object();
  EXPECT_EQ(tokens.at("account_id"), "acct-file");
  EXPECT_EQ(tokens.at("future_token_field"), "kept");
  EXPECT_EQ(tokens.at("access_token").as_string(), renewed);
  EXPECT_EQ(tokens.at("refresh_token"), "rt-2");
  EXPECT_NE(tokens.at("id_token"), before.at("tokens").at("id_token"));

  std::string last_refresh(after.at("last_refresh").as_string());
  std::smatch parts;
  ASSERT_TRUE(std::regex_match(
      last_refresh, parts,
      std::regex(R"((\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?Z)")))
      << last_refresh;
  std::tm utc{};
  utc.tm_year = std::stoi(parts[1]) - 1900;
  utc.tm_mon = std::stoi(parts[2]) - 1;
  utc.tm_mday = std::stoi(parts[3]);
  utc.tm_hour = std::stoi(parts[4]);
  utc.tm_min = std::stoi(parts[5]);
  utc.tm_sec = std::stoi(parts[6]);
  std::int64_t stamped = ::timegm(&utc);
  EXPECT_GE(stamped, started - 1);
  EXPECT_LE(stamped, now_seconds() + 1);

  struct stat info{};
  ASSERT_EQ(::stat(auth_file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST_F(CodexAuthTest, TheFileIsReplacedByRenameSoAReaderHasTheOldOrTheNewNeverHalf) {
  login(expired_token(), "rt-1");
  std::string old_text = read_text(auth_file);
  struct stat before{};
  ASSERT_EQ(::stat(auth_file.c_str(), &before), 0);
  std::ifstream opened_before(auth_file);  // a reader that opened the old file
  server.respond_with_tokens(fresh_token(), "rt-2");
  CodexAuth auth(options());
  auth.current();

  struct stat after{};
  ASSERT_EQ(::stat(auth_file.c_str(), &after), 0);
  EXPECT_NE(after.st_ino, before.st_ino) << "written in place, not renamed over";
  std::ostringstream seen_by_old_reader;
  seen_by_old_reader << opened_before.rdbuf();
  EXPECT_EQ(seen_by_old_reader.str(), old_text);

  std::vector<std::string> entries;
  for (const auto& entry : fs::directory_iterator(dir.path()))
    entries.push_back(entry.path().filename().string());
  EXPECT_EQ(entries, std::vector<std::string>{"auth.json"}) << "a temp file was left behind";
}

TEST_F(CodexAuthTest, AConcurrentReaderOnlyEverSeesWholeFilesAcrossManyRefreshes) {
  std::string access = fresh_token("start");
  login(access, "rt-1");
  server.respond_with_tokens(fresh_token("renewed"), "rt-2");
  CodexAuth auth(options());

  std::atomic<bool> done{false};
  std::atomic<int> reads{0}, torn{0};
  std::thread reader([&] {
    while (!done) {
      json::error_code ec;
      json::value v = json::parse(read_text(auth_file), ec);
      if (ec || !v.is_object() || !v.as_object().contains("future_field")) ++torn;
      ++reads;
    }
  });
  for (int i = 0; i < 20; ++i) access = auth.after_unauthorized(access).access_token;
  done = true;
  reader.join();

  EXPECT_EQ(server.request_count(), 20u);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST_F(CodexAuthTest, ASymlinkedAuthFileStaysASymlinkToTheRewrittenTarget) {
  fs::path real = dir.path() / "real-auth.json";
  write_file(real, codex_login(expired_token(), "rt-1"),
             fs::perms::owner_read | fs::perms::owner_write);
  fs::create_symlink(real, auth_file);
  std::string renewed = fresh_token("renewed");
  server.respond_with_tokens(renewed, "rt-2");
  CodexAuth auth(options());
  auth.current();

  EXPECT_TRUE(fs::is_symlink(auth_file));
  EXPECT_EQ(token_in(real, "access_token"), renewed);
}

// ---- after a 401 -----------------------------------------------------------------------

TEST_F(CodexAuthTest, AfterUnauthorizedUsesTheNewerTokenTheFileNowHoldsWithoutARefresh) {
  std::string rejected = fresh_token("rejected");
  login(rejected, "rt-1");
  CodexAuth auth(options());
  ASSERT_EQ(auth.current().access_token, rejected);

  std::string by_cli = fresh_token("by-cli");
  login(by_cli, "rt-cli");
  EXPECT_EQ(auth.after_unauthorized(rejected).access_token, by_cli);
  EXPECT_EQ(auth.current().access_token, by_cli);
  EXPECT_EQ(server.request_count(), 0u);
}

TEST_F(CodexAuthTest, AfterUnauthorizedOnTheCurrentTokenRefreshesOnceForAllWhoHadIt) {
  std::string rejected = fresh_token("rejected");
  login(rejected, "rt-1");
  std::string renewed = fresh_token("renewed");
  server.respond_with_tokens(renewed, "rt-2", 200ms);
  CodexAuth auth(options());
  ASSERT_EQ(auth.current().access_token, rejected);

  // Five requests in flight with the same token all get a 401.
  std::vector<std::string> seen(5);
  std::latch start(5);
  std::vector<std::thread> callers;
  for (int i = 0; i < 5; ++i)
    callers.emplace_back([&, i] {
      start.arrive_and_wait();
      seen[i] = auth.after_unauthorized(rejected).access_token;
    });
  for (auto& caller : callers) caller.join();
  // And one more arrives late, after the refresh is long done.
  EXPECT_EQ(auth.after_unauthorized(rejected).access_token, renewed);

  EXPECT_EQ(server.request_count(), 1u);
  for (const auto& token : seen) EXPECT_EQ(token, renewed);
  EXPECT_EQ(json::parse(server.received()[0].body).at("refresh_token"), "rt-1");
}

// ---- when the user has to act ----------------------------------------------------------

TEST_F(CodexAuthTest, ADeadRefreshTokenAsksTheUserToRunCodexLoginAndIsNotSpentAgain) {
  std::string access = expired_token();
  login(access, "rt-dead");
  server.respond({401, R"({"error":{"message":"Your refresh token has already been used.",)"
                       R"("type":"invalid_request_error","code":"refresh_token_reused"}})"});
  CodexAuth auth(options());

  try {
    auth.current();
    FAIL() << "expected CodexAuthError";
  } catch (const CodexAuthError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("codex login"), std::string::npos) << message;
    EXPECT_NE(message.find(auth_file.string()), std::string::npos) << message;
    EXPECT_NE(message.find("refresh_token_reused: Your refresh token has already been used."),
              std::string::npos) << message;
    EXPECT_TRUE(e.login_needed);
    EXPECT_EQ(message.find("rt-dead"), std::string::npos) << message;
    EXPECT_EQ(message.find(access), std::string::npos) << message;
  }
  EXPECT_THROW(auth.current(), CodexAuthError);
  EXPECT_EQ(server.request_count(), 1u) << "a refused refresh token was sent again";

  // The user runs `codex login`: a new refresh token in the file, and all is well.
  std::string relogged = fresh_token("relogged");
  login(relogged, "rt-new");
  EXPECT_EQ(auth.current().access_token, relogged);
}

// The codes the Codex CLI takes for a dead refresh token (classify_refresh_token_failure).
TEST_F(CodexAuthTest, EachOfTheThreeDeadTokenCodesMeansLogInAgain) {
  for (std::string code : {"refresh_token_expired", "refresh_token_reused",
                           "refresh_token_invalidated", "REFRESH_TOKEN_EXPIRED"}) {
    SCOPED_TRACE(code);
    login(expired_token(), "rt-" + code);
    server.respond({401, R"({"error":{"code":")" + code + R"(","message":"gone"}})"});
    CodexAuth auth(options());
    try {
      auth.current();
      FAIL() << "expected CodexAuthError";
    } catch (const CodexAuthError& e) {
      EXPECT_TRUE(e.login_needed);
      EXPECT_NE(std::string(e.what()).find("codex login"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(code), std::string::npos) << e.what();
    }
  }
}

// ---- a token endpoint that fails otherwise: a passing failure --------------------------

// What the user is told, and that the login is left for the next request to try again.
void expect_passing_failure(CodexAuth& auth, const std::string& token_url,
                            const std::vector<std::string>& words) {
  try {
    auth.current();
    FAIL() << "expected CodexAuthError";
  } catch (const CodexAuthError& e) {
    std::string message = e.what();
    EXPECT_FALSE(e.login_needed) << message;
    EXPECT_EQ(message.find("codex login"), std::string::npos) << message;
    EXPECT_NE(message.find(token_url), std::string::npos) << message;
    for (const std::string& word : words) EXPECT_NE(message.find(word), std::string::npos) << message;
  }
}

TEST_F(CodexAuthTest, ARefusalWithoutADeadTokenCodeIsAPassingFailureTriedAgainLater) {
  struct Case {
    int status;
    std::string body;
    std::vector<std::string> words;
  };
  const std::vector<Case> cases = {
      // What OAuth servers say for an unknown grant; not one of the three codes.
      {400, R"({"error":"invalid_grant","error_description":"Invalid refresh token."})",
       {"HTTP 400 invalid_grant: Invalid refresh token."}},
      // A refresh without scope, as earendil-works/pi #7001 reports it (§2).
      {401, R"({"error":{"message":"Could not validate your token.","type":"invalid_request_error","code":null}})",
       {"HTTP 401", "Could not validate your token."}},
      {500, R"({"error":{"message":"Internal server error","type":"server_error"}})",
       {"HTTP 500", "Internal server error"}},
      {502, "Bad gateway from the edge", {"HTTP 502: Bad gateway from the edge"}},
      {503, "<html><body>Service Unavailable</body></html>", {"HTTP 503"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.status);
    login(expired_token(), "rt-" + std::to_string(c.status));
    server.respond({c.status, c.body});
    CodexAuthOptions o = options();
    o.retry_cooldown = std::chrono::seconds(0);
    CodexAuth auth(o);
    std::size_t before = server.request_count();
    expect_passing_failure(auth, o.token_url, c.words);
    // Not dead: the same refresh token is tried again, and works once the endpoint does.
    std::string renewed = fresh_token("renewed-" + std::to_string(c.status));
    server.respond_with_tokens(renewed, "rt-next");
    EXPECT_EQ(auth.current().access_token, renewed);
    EXPECT_EQ(server.request_count(), before + 2);
    EXPECT_EQ(json::parse(server.received().back().body).at("refresh_token").as_string(),
              "rt-" + std::to_string(c.status));
  }
}

TEST_F(CodexAuthTest, AnAnswerWithoutAnAccessTokenIsAPassingFailureNotACrash) {
  for (std::string body : {std::string("not json"), std::string("[]"), std::string("{}"),
                           std::string(R"({"access_token":""})"), std::string(R"({"access_token":7})")}) {
    SCOPED_TRACE(body);
    std::string access = expired_token();
    login(access, "rt-1");
    server.respond({200, body});
    CodexAuth auth(options());
    expect_passing_failure(auth, options().token_url, {"HTTP 200 without an access token"});
    EXPECT_EQ(token_in(auth_file, "access_token"), access) << "nothing written";
  }
}

TEST_F(CodexAuthTest, AMissingFileAsksTheUserToRunCodexLoginNamingThePath) {
  CodexAuth auth(options());
  try {
    auth.current();
    FAIL() << "expected CodexAuthError";
  } catch (const CodexAuthError& e) {
    EXPECT_NE(std::string(e.what()).find("codex login"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(auth_file.string()), std::string::npos) << e.what();
  }
  EXPECT_THROW(auth.after_unauthorized("anything"), CodexAuthError);
}

TEST_F(CodexAuthTest, AFileThatIsNotALoginAsksTheUserToRunCodexLogin) {
  write_file(auth_file, {{"OPENAI_API_KEY", "sk-only"}}, fs::perms::owner_read |
                                                          fs::perms::owner_write);
  CodexAuth auth(options());
  EXPECT_THROW(auth.current(), CodexAuthError);
  { std::ofstream(auth_file, std::ios::trunc) << "{ not json"; }
  try {
    auth.current();
    FAIL() << "expected CodexAuthError";
  } catch (const CodexAuthError& e) {
    EXPECT_NE(std::string(e.what()).find("codex login"), std::string::npos) << e.what();
  }
}

// A path pointed at a device that never ends must fail at once, not read until bad_alloc.
TEST_F(CodexAuthTest, AnEndlessFileSuchAsDevZeroIsRefusedQuicklyAsLargerThanOneMib) {
  CodexAuthOptions o = options();
  o.auth_file = "/dev/zero";
  CodexAuth auth(o);
  auto started = std::chrono::steady_clock::now();
  try {
    auth.current();
    FAIL() << "expected CodexAuthError";
  } catch (const CodexAuthError& e) {
    EXPECT_NE(std::string(e.what()).find("/dev/zero is larger than 1 MiB: not a Codex login file"),
              std::string::npos) << e.what();
    EXPECT_TRUE(e.login_needed);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  EXPECT_EQ(server.request_count(), 0u);
}

TEST_F(CodexAuthTest, ALoginFileOfTwoMibIsRefusedNamingTheFileAndTheLimit) {
  {
    std::ofstream out(auth_file, std::ios::trunc);
    out << std::string(2 << 20, ' ');  // whitespace: valid JSON around nothing, were it parsed
  }
  CodexAuth auth(options());
  try {
    auth.current();
    FAIL() << "expected CodexAuthError";
  } catch (const CodexAuthError& e) {
    EXPECT_NE(std::string(e.what()).find(auth_file.string() + " is larger than 1 MiB"),
              std::string::npos) << e.what();
  }
}

TEST_F(CodexAuthTest, AFifoNobodyWritesToIsAnErrorNotAHang) {
  ASSERT_EQ(::mkfifo(auth_file.c_str(), 0600), 0);
  CodexAuth auth(options());
  auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(auth.current(), CodexAuthError);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
}

TEST_F(CodexAuthTest, ALoginOfExactlyOneMibIsStillRead) {
  std::string access = fresh_token();
  std::string text = json::serialize(codex_login(access, "rt-1"));
  std::ofstream(auth_file, std::ios::trunc) << text << std::string((1 << 20) - text.size(), '\n');
  CodexAuth auth(options());
  EXPECT_EQ(auth.current().access_token, access);
}

TEST_F(CodexAuthTest, AnUnreachableTokenEndpointIsAnAuthErrorSayingWhatFailed) {
  login(expired_token(), "rt-1");
  CodexAuthOptions o = options();
  o.token_url = unreachable_url();
  CodexAuth auth(o);
  try {
    auth.current();
    FAIL() << "expected CodexAuthError";
  } catch (const CodexAuthError& e) {
    EXPECT_NE(std::string(e.what()).find(o.token_url), std::string::npos) << e.what();
  }
}

TEST_F(CodexAuthTest, AServerErrorFromTheTokenEndpointIsRetriedAfterTheCooldown) {
  login(expired_token(), "rt-1");
  server.respond({503, R"({"error":"temporarily_unavailable"})"});
  CodexAuthOptions o = options();
  o.retry_cooldown = std::chrono::seconds(0);
  CodexAuth auth(o);
  try {
    auth.current();
    FAIL() << "expected CodexAuthError";
  } catch (const CodexAuthError& e) {
    EXPECT_FALSE(e.login_needed);  // a passing failure: not the user's to fix
  }

  std::string renewed = fresh_token("renewed");
  server.respond_with_tokens(renewed, "rt-2");
  EXPECT_EQ(auth.current().access_token, renewed);
  EXPECT_EQ(server.request_count(), 2u);
}

// While the token endpoint is down, requests must not each wait on it in turn.
TEST_F(CodexAuthTest, DuringTheCooldownCallersShareTheLastFailureWithoutAnotherPost) {
  login(expired_token(), "rt-1");
  server.respond({503, R"({"error":"temporarily_unavailable"})"});
  CodexAuth auth(options());
  EXPECT_THROW(auth.current(), CodexAuthError);
  EXPECT_THROW(auth.current(), CodexAuthError);
  EXPECT_EQ(server.request_count(), 1u);
}

// The Codex CLI spent the refresh token and saved new tokens just before our POST.
TEST_F(CodexAuthTest, ARefreshTokenSpentBySomeoneElseIsNotADeadLogin) {
  login(expired_token(), "rt-1");
  std::string theirs = fresh_token("theirs");
  server.respond({400, R"({"error":"invalid_grant"})"});
  server.on_request([&] { login(theirs, "rt-2"); });
  CodexAuth auth(options());
  EXPECT_EQ(auth.current().access_token, theirs);
}

TEST_F(CodexAuthTest, ATokenNotYetExpiredServesOnWhileTheTokenEndpointIsUnreachable) {
  std::string access = make_jwt(now_seconds() + 120);  // inside the margin, not expired
  login(access, "rt-1");
  CodexAuthOptions o = options();
  o.token_url = unreachable_url();
  CodexAuth auth(o);
  EXPECT_EQ(auth.current().access_token, access);
}

TEST_F(CodexAuthTest, LogsNeverShowTokens) {
  std::string access = expired_token("secret-old");
  login(access, "rt-secret-1");
  std::string renewed = fresh_token("secret-new");
  server.respond_with_tokens(renewed, "rt-secret-2");
  testing::internal::CaptureStderr();
  {
    CodexAuth auth(options());
    auth.current();
    server.respond({400, R"({"error":"invalid_grant"})"});
    EXPECT_THROW(auth.after_unauthorized(renewed), CodexAuthError);
  }
  std::string log = testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("refreshed the Codex login"), std::string::npos) << log;
  for (const std::string& secret : {access, renewed, std::string("rt-secret")})
    EXPECT_EQ(log.find(secret), std::string::npos) << log;
}

// ---- account id, JWT claims, where auth.json is ----------------------------------------

TEST_F(CodexAuthTest, TheAccountIdComesFromTheFileElseFromTheAccessTokenClaim) {
  login(make_jwt(now_seconds() + 3600, "acct-from-claim"), "rt-1", "acct-from-file");
  EXPECT_EQ(CodexAuth(options()).current().account_id, "acct-from-file");

  login(make_jwt(now_seconds() + 3600, "acct-from-claim"), "rt-1", /*account_id=*/"");
  EXPECT_EQ(CodexAuth(options()).current().account_id, "acct-from-claim");
}

TEST(Jwt, ExpiryAndAccountAreReadFromTheUnverifiedPayload) {
  std::string token = make_jwt(1'900'000'000, "acct-123");
  EXPECT_EQ(jwt_expiry(token), 1'900'000'000);
  EXPECT_EQ(jwt_account_id(token), "acct-123");
}

TEST(Jwt, WhatIsNotAJwtHasNoExpiryAndNoAccount) {
  for (std::string_view junk : {"", "opaque-token", "a.b", "a.!!!.c",
                                "eyJhbGciOiJub25lIn0.bm90IGpzb24.x"}) {
    EXPECT_EQ(jwt_expiry(junk), 0) << junk;
    EXPECT_EQ(jwt_account_id(junk), "") << junk;
  }
  std::string no_claims = base64url("{}") + "." + base64url(R"({"sub":"x"})") + ".";
  EXPECT_EQ(jwt_expiry(no_claims), 0);
  EXPECT_EQ(jwt_account_id(no_claims), "");
}

}  // namespace
}  // namespace claudegpt
