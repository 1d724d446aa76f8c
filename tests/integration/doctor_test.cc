// `claudegpt doctor` on real files in a temp HOME, with the upstream a loopback HTTP server
// run by the test and `claude` a script that prints a version.
#include "doctor/doctor.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config_sources.h"

namespace claudegpt {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using ::testing::HasSubstr;

constexpr const char* kKey = "sk-doctor-test-secret-0123456789abcdef";

struct Received {
  std::string target, authorization, body;
};

// Answers every request with one canned status and body, one connection at a time.
class FakeUpstream {
 public:
  FakeUpstream() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int on = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 16) != 0)
      throw std::runtime_error("cannot listen on loopback");
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }

  ~FakeUpstream() {
    stopping_ = true;
    thread_.join();
    ::close(listener_);
  }

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }

  void respond(int status, std::string body) {
    std::lock_guard lock(mutex_);
    status_ = status;
    body_ = std::move(body);
  }

  std::vector<Received> received() const {
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

  // A connection that sends nothing (the doctor's connect-only check) just closes.
  void handle(int connection) {
    std::string data;
    char buffer[4096];
    std::size_t header_end;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(connection, buffer, sizeof buffer, 0);
      if (n <= 0) return;
      data.append(buffer, static_cast<std::size_t>(n));
    }
    Received request;
    std::map<std::string, std::string> headers;
    std::istringstream head(data.substr(0, header_end));
    std::string line, method;
    std::getline(head, line);
    std::istringstream(line) >> method >> request.target;
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    std::size_t length =
        headers.contains("content-length") ? std::stoul(headers["content-length"]) : 0;
    request.body = data.substr(header_end + 4);
    while (request.body.size() < length) {
      ssize_t n = ::recv(connection, buffer, sizeof buffer, 0);
      if (n <= 0) return;
      request.body.append(buffer, static_cast<std::size_t>(n));
    }
    request.authorization = headers["authorization"];
    int status;
    std::string body;
    {
      std::lock_guard lock(mutex_);
      received_.push_back(request);
      status = status_;
      body = body_;
    }
    std::string answer = "HTTP/1.1 " + std::to_string(status) +
                         " Canned\r\nContent-Type: application/json\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    ::send(connection, answer.data(), answer.size(), MSG_NOSIGNAL);
  }

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  int status_ = 200;
  std::string body_;
  std::vector<Received> received_;
  std::thread thread_;
};

// A Responses API answer, as OpenAI gives it for a short non-streamed request.
std::string responses_body() {
  return json::serialize(json::object{
      {"id", "resp_doctor"},
      {"object", "response"},
      {"status", "completed"},
      {"model", "gpt-5.4-mini"},
      {"output", json::array{json::object{
                     {"type", "message"},
                     {"role", "assistant"},
                     {"content", json::array{json::object{{"type", "output_text"},
                                                          {"text", "pong"}}}}}}},
      {"usage", json::object{{"input_tokens", 5}, {"output_tokens", 2}, {"total_tokens", 7}}}});
}

class DoctorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("no_proxy", "127.0.0.1,localhost", 1);  // the upstream is ours, on loopback
    std::string pattern = (fs::temp_directory_path() / "doctor_test-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    home_ = pattern;
    fs::path claude = home_ / "bin" / "claude";
    fs::create_directories(claude.parent_path());
    std::ofstream(claude) << "#!/bin/sh\necho '2.1.330 (Claude Code)'\n";
    fs::permissions(claude, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec);
    upstream_.respond(200, responses_body());
    env_ = {{"HOME", home_.string()},
            {"PATH", "/usr/bin:/bin"},
            {"OPENAI_API_KEY", kKey},
            {"OPENAI_BASE_URL", upstream_.base_url()},
            {"CLAUDEGPT_CLAUDE_BIN", claude.string()}};
  }

  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(home_, ignored);
  }

  // The doctor's output and exit code with env_ as the whole environment.
  std::pair<int, std::string> doctor() {
    ConfigSources sources = ConfigSources::load({}, [this](const char* name) -> const char* {
      auto it = env_.find(name);
      return it == env_.end() ? nullptr : it->second.c_str();
    });
    std::ostringstream out;
    int code = run_doctor(sources, out);
    EXPECT_THAT(out.str(), ::testing::Not(HasSubstr(kKey))) << "a secret was printed";
    return {code, out.str()};
  }

  // <HOME>/.config/claudegpt/.env with `text`, at `mode`.
  fs::path write_config(const std::string& text, fs::perms mode) {
    fs::path path = home_ / ".config" / "claudegpt" / ".env";
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
    fs::permissions(path, mode);
    return path;
  }

  fs::path home_;
  FakeUpstream upstream_;
  std::map<std::string, std::string> env_;
};

TEST_F(DoctorTest, AGoodConfigurationPassesEveryCheckAndExitsZero) {
  env_.erase("OPENAI_API_KEY");
  write_config(std::string("OPENAI_API_KEY=") + kKey + "\n", fs::perms::owner_read |
                                                             fs::perms::owner_write);
  auto [code, out] = doctor();
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, ::testing::Not(HasSubstr("FAIL"))) << out;
  EXPECT_THAT(out, ::testing::Not(HasSubstr("warn"))) << out;
  EXPECT_THAT(out, HasSubstr("ok   configuration (openai)")) << out;
  EXPECT_THAT(out, HasSubstr("is private (0600)")) << out;
  EXPECT_THAT(out, HasSubstr("ok   claude 2.1.330 (Claude Code)")) << out;
  EXPECT_THAT(out, HasSubstr("ok   DNS: 127.0.0.1")) << out;
  EXPECT_THAT(out, HasSubstr("ok   connection to 127.0.0.1:")) << out;
  EXPECT_THAT(out, HasSubstr("credentials and model accepted")) << out;
  for (const std::string& line : {std::string("configuration"), std::string("claude"),
                                  std::string("DNS"), std::string("connection"),
                                  std::string("request")})
    EXPECT_THAT(out, HasSubstr("ok   " + line)) << out;
}

TEST_F(DoctorTest, TheTestRequestIsATinyUnstoredResponsesCallOnTheSonnetTierModel) {
  doctor();
  auto received = upstream_.received();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].target, "/v1/responses");
  EXPECT_EQ(received[0].authorization, std::string("Bearer ") + kKey);
  json::object body = json::parse(received[0].body).as_object();
  EXPECT_EQ(body.at("model").as_string(), "gpt-5.4-mini");
  EXPECT_EQ(body.at("input").as_string(), "ping");
  EXPECT_EQ(body.at("max_output_tokens").as_int64(), 16);
  EXPECT_EQ(body.at("store").as_bool(), false);
  EXPECT_EQ(body.at("stream").as_bool(), false);
}

TEST_F(DoctorTest, AMissingKeyFailsNamingOpenaiApiKeyAndExitsOne) {
  env_.erase("OPENAI_API_KEY");
  auto [code, out] = doctor();
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr("FAIL configuration (openai): OPENAI_API_KEY is not set")) << out;
  EXPECT_THAT(out, HasSubstr("claudegpt setup")) << out;
  EXPECT_TRUE(upstream_.received().empty()) << "a request without a key was sent";
}

TEST_F(DoctorTest, AConfigFileOtherUsersCanReadFailsWithTheChmodFix) {
  env_.erase("OPENAI_API_KEY");
  fs::path path = write_config(std::string("OPENAI_API_KEY=") + kKey + "\n",
                               fs::perms::owner_read | fs::perms::owner_write |
                                   fs::perms::group_read | fs::perms::others_read);
  auto [code, out] = doctor();
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr("FAIL config file ~/.config/claudegpt/.env: mode 0644: readable by "
                             "other users"))
      << out;
  EXPECT_THAT(out, HasSubstr("fix: chmod 600 " + path.string())) << out;
}

TEST_F(DoctorTest, AMissingClaudeBinaryFailsWithTheNpmInstallFix) {
  env_["CLAUDEGPT_CLAUDE_BIN"] = "/nonexistent";
  auto [code, out] = doctor();
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr("FAIL claude: /nonexistent is not an executable file")) << out;
  EXPECT_THAT(out, HasSubstr("fix: npm install -g @anthropic-ai/claude-code")) << out;
}

TEST_F(DoctorTest, NoClaudeOnThePathFailsWithTheNpmInstallFix) {
  env_.erase("CLAUDEGPT_CLAUDE_BIN");
  env_["PATH"] = (home_ / "empty").string();
  auto [code, out] = doctor();
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr("FAIL claude: Claude Code is not installed")) << out;
  EXPECT_THAT(out, HasSubstr("fix: npm install -g @anthropic-ai/claude-code")) << out;
}

TEST_F(DoctorTest, AnUnreachableUpstreamFailsWithCannotConnect) {
  env_["OPENAI_BASE_URL"] = "http://127.0.0.1:1/v1";
  auto [code, out] = doctor();
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr("FAIL connection to 127.0.0.1:1: cannot connect")) << out;
  EXPECT_THAT(out, HasSubstr("check OPENAI_BASE_URL")) << out;
  EXPECT_THAT(out, ::testing::Not(HasSubstr("request to"))) << out;
}

TEST_F(DoctorTest, ARefusedKeyFailsSayingSoWithoutEchoingIt) {
  upstream_.respond(401, json::serialize(json::object{
                             {"error", json::object{{"message", std::string("Incorrect API key "
                                                                            "provided: ") + kKey},
                                                    {"code", "invalid_api_key"}}}}));
  auto [code, out] = doctor();
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr("the key was refused (HTTP 401: Incorrect API key provided: \u2026)"))
      << out;
  EXPECT_THAT(out, HasSubstr("fix: check OPENAI_API_KEY")) << out;
}

TEST_F(DoctorTest, AnUnknownModelFailsAsModelOrDeploymentNotFound) {
  upstream_.respond(404, R"({"error":{"message":"The model `gpt-x` does not exist"}})");
  auto [code, out] = doctor();
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr("model/deployment not found (HTTP 404: The model `gpt-x` does not "
                             "exist)"))
      << out;
  EXPECT_THAT(out, HasSubstr("fix: check CLAUDEGPT_OPENAI_SONNET")) << out;
}

TEST_F(DoctorTest, ASettingThatDoesNotParseIsAFailedConfigurationCheck) {
  env_["CLAUDEGPT_PROVIDER"] = "gemini";
  auto [code, out] = doctor();
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr("FAIL configuration: CLAUDEGPT_PROVIDER: expected openai, azure or "
                             "codex"))
      << out;
  EXPECT_THAT(out, HasSubstr("ok   claude")) << out;  // the other checks still run
}

// CLAUDEGPT_CODEX_AUTH pointed at a device that never ends: the doctor says so at once
// instead of reading until it runs out of memory.
TEST_F(DoctorTest, ACodexLoginAtDevZeroFailsQuicklyAsLargerThanOneMib) {
  env_["CLAUDEGPT_PROVIDER"] = "codex";
  env_["CLAUDEGPT_CODEX_AUTH"] = "/dev/zero";
  auto started = std::chrono::steady_clock::now();
  auto [code, out] = doctor();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr("FAIL configuration (codex): /dev/zero is larger than 1 MiB: not a "
                             "Codex login file"))
      << out;
  EXPECT_THAT(out, ::testing::Not(HasSubstr("chmod 600 /dev/zero"))) << out;
}

TEST_F(DoctorTest, ACodexLoginOverOneMibFailsNamingTheFileAndTheLimit) {
  fs::path auth = home_ / ".codex" / "auth.json";
  fs::create_directories(auth.parent_path());
  std::ofstream(auth) << std::string((1 << 20) + 1, ' ');
  fs::permissions(auth, fs::perms::owner_read | fs::perms::owner_write);
  env_["CLAUDEGPT_PROVIDER"] = "codex";
  env_["CLAUDEGPT_CODEX_AUTH"] = auth.string();
  auto [code, out] = doctor();
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr(auth.string() + " is larger than 1 MiB: not a Codex login file"))
      << out;
}

}  // namespace
}  // namespace claudegpt
