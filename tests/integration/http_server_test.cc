// The HTTP server's own guards, from inside the process: what any local client may make it
// hold (the connection table, the request memory budget), the last-resort guard that keeps
// it serving when a handler throws, and the address check at bind time.
#include "server/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/connection_table.h"
#include "server/memory_budget.h"
#include "support/log.h"

namespace claudegpt {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using Clock = std::chrono::steady_clock;

// ---- ConnectionTable --------------------------------------------------------------------

TEST(ConnectionTable, SheddingClosesTheOldestSheddableConnectionOnly) {
  ConnectionTable table(3);
  std::vector<std::string> closed;
  ConnectionTable::Member busy(table, [&] { closed.push_back("busy"); });
  ConnectionTable::Member older(table, [&] { closed.push_back("older"); });
  ConnectionTable::Member newer(table, [&] { closed.push_back("newer"); });
  busy.set_sheddable(false);  // its request showed the token

  EXPECT_EQ(table.open(), 3u);
  ASSERT_TRUE(table.make_room(Clock::now()));
  EXPECT_EQ(closed, std::vector<std::string>{"older"});
  EXPECT_TRUE(older.shed());
  EXPECT_EQ(table.open(), 2u);

  ASSERT_TRUE(table.shed_oldest(Clock::now()));
  EXPECT_EQ(closed, (std::vector<std::string>{"older", "newer"}));
  EXPECT_FALSE(table.shed_oldest(Clock::now())) << "a connection serving a keyed request is never shed";
  EXPECT_FALSE(busy.shed());
}

TEST(ConnectionTable, AConnectionBecomingIdleAgainGoesToTheBackOfTheLine) {
  ConnectionTable table(10);
  std::vector<std::string> closed;
  ConnectionTable::Member first(table, [&] { closed.push_back("first"); });
  ConnectionTable::Member second(table, [&] { closed.push_back("second"); });
  first.set_sheddable(false);  // served a request...
  first.set_sheddable(true);   // ...and waits, idle, for the next
  table.shed_oldest(Clock::now());
  EXPECT_EQ(closed, std::vector<std::string>{"second"});
}

TEST(ConnectionTable, ShedOldestSparesTheConnectionThatAsksForRoom) {
  ConnectionTable table(10);
  int closed = 0;
  ConnectionTable::Member asking(table, [&] { ++closed; });
  EXPECT_FALSE(table.shed_oldest(Clock::now(), &asking));
  EXPECT_EQ(closed, 0);
}

TEST(ConnectionTable, BelowTheCapNothingIsShed) {
  ConnectionTable table(2);
  int closed = 0;
  ConnectionTable::Member one(table, [&] { ++closed; });
  EXPECT_TRUE(table.make_room(Clock::now()));
  EXPECT_EQ(closed, 0);
  EXPECT_FALSE(table.shedding());
}

TEST(ConnectionTable, AnEpisodeEndsOnceQuietAndCountsWhatItShedAndRefused) {
  ConnectionTable table(1);
  auto t0 = Clock::now();
  {
    ConnectionTable::Member idle(table, [] {});
    ASSERT_TRUE(table.make_room(t0));
  }
  ConnectionTable::Member busy(table, [] {});
  busy.set_sheddable(false);
  EXPECT_FALSE(table.make_room(t0 + std::chrono::seconds(1)));
  table.note_refused(t0 + std::chrono::seconds(1));
  EXPECT_TRUE(table.shedding());

  ConnectionTable::Episode episode;
  EXPECT_FALSE(table.end_quiet_episode(t0 + std::chrono::seconds(3), std::chrono::seconds(5), episode));
  ASSERT_TRUE(table.end_quiet_episode(t0 + std::chrono::seconds(7), std::chrono::seconds(5), episode));
  EXPECT_EQ(episode.shed, 1u);
  EXPECT_EQ(episode.refused, 1u);
  EXPECT_EQ(episode.length, std::chrono::seconds(1));
  EXPECT_FALSE(table.shedding());
}

// ---- MemoryBudget ------------------------------------------------------------------------

TEST(MemoryBudget, LeasesGrowWithinTheLimitAndGiveBackWhenLetGo) {
  MemoryBudget budget(100);
  {
    BudgetLease a(budget), b(budget);
    EXPECT_TRUE(a.resize(60));
    EXPECT_FALSE(b.resize(41)) << "past the limit";
    EXPECT_EQ(b.held(), 0u);
    EXPECT_TRUE(b.resize(40));
    EXPECT_EQ(budget.used(), 100u);
    EXPECT_TRUE(a.resize(10)) << "shrinking always succeeds";
    EXPECT_EQ(budget.used(), 50u);
    BudgetLease moved = std::move(a);
    EXPECT_EQ(budget.used(), 50u);
  }
  EXPECT_EQ(budget.used(), 0u);
}

// ---- HttpServer --------------------------------------------------------------------------

Settings test_settings() {
  Settings settings;
  settings.openai_api_key = "k";
  settings.openai_base_url = "http://127.0.0.1:9/v1";
  settings.trace = false;
  settings.ledger = false;
  return settings;
}

// One request on a fresh connection; the whole answer (the server closes after it).
std::string exchange(unsigned short port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return "(connect failed)";
  }
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string answer;
  char chunk[4096];
  for (ssize_t n; (n = ::recv(fd, chunk, sizeof chunk, 0)) > 0;) answer.append(chunk, static_cast<std::size_t>(n));
  ::close(fd);
  return answer;
}

class RunningServer {
 public:
  explicit RunningServer(Settings settings) : server_(std::move(settings)) {
    port_ = server_.listen("127.0.0.1", 0);
    thread_ = std::thread([this] { server_.run_until_stopped(); });
  }
  ~RunningServer() {
    server_.stop();
    thread_.join();
  }
  HttpServer& server() { return server_; }
  unsigned short port() const { return port_; }

 private:
  HttpServer server_;
  unsigned short port_ = 0;
  std::thread thread_;
};

// Log lines written while it lives.
class CapturedLog {
 public:
  CapturedLog() : file_(std::tmpfile()) { set_log_file(file_); }
  ~CapturedLog() {
    set_log_file(stderr);
    std::fclose(file_);
  }
  std::string text() {
    std::fflush(file_);
    std::rewind(file_);
    std::string all;
    char chunk[4096];
    for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, file_)) > 0;) all.append(chunk, n);
    return all;
  }

 private:
  std::FILE* file_;
};

const std::string kHealth = "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

TEST(HttpServer, AnExceptionEscapingAHandlerIsLoggedAndTheServerGoesOn) {
  CapturedLog log;
  RunningServer running(test_settings());
  running.server().post([] { throw std::length_error("field value too large"); });
  running.server().post([] { throw 42; });  // not even a std::exception

  EXPECT_THAT(exchange(running.port(), kHealth), StartsWith("HTTP/1.1 200 OK"));
  EXPECT_THAT(exchange(running.port(), kHealth), StartsWith("HTTP/1.1 200 OK"));
  EXPECT_THAT(log.text(), HasSubstr("internal error, the server goes on: field value too large"));
  EXPECT_THAT(log.text(), HasSubstr("internal error (not a std::exception), the server goes on"));
}

TEST(HttpServer, AnOversizedHeaderIsA431AndTheServerGoesOn) {
  RunningServer running(test_settings());
  std::string request = "GET /health HTTP/1.1\r\nHost: x\r\nX-A: " + std::string(65'534, 'a') + "\r\n\r\n";
  std::string answer = exchange(running.port(), request);
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 431 "));
  EXPECT_THAT(answer, HasSubstr(R"("type":"error")"));
  EXPECT_THAT(answer, HasSubstr("at most 64 KiB of headers"));
  EXPECT_THAT(exchange(running.port(), kHealth), StartsWith("HTTP/1.1 200 OK"));
}

TEST(HttpServer, ListeningBeyondLoopbackNeedsAnAccessToken) {
  HttpServer open_server(test_settings());
  // Judged by the address bound, not by how it was written.
  EXPECT_THROW(open_server.listen("0.0.0.0", 0), std::runtime_error);
  EXPECT_THROW(open_server.listen("0", 0), std::runtime_error);
  EXPECT_NO_THROW(open_server.listen("localhost", 0));

  Settings keyed = test_settings();
  keyed.access_token = "secret-token";
  HttpServer keyed_server(keyed);
  EXPECT_NO_THROW(keyed_server.listen("0.0.0.0", 0));
}

}  // namespace
}  // namespace claudegpt
