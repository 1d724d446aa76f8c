// Auto mode's judging of one turn's tool calls, for the relay: each tool_use block the client
// is sent goes to the judge (safety_judge_call.h) as soon as it is complete, while the rest of
// the answer streams; the verdicts come back on the I/O thread and wake the relay, which holds
// the message's end until all_answered(). Internal to src/server/.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/cancellation_signal.hpp>
#include <boost/json/array.hpp>

#include "core/anthropic_event.h"
#include "server/safety_judge_call.h"

namespace claudegpt {

class CallJudges {
 public:
  // The judges run on `executor` (the relay's); `wake` is called there each time a verdict
  // arrives.
  CallJudges(ServerContext& context, net::any_io_executor executor, std::shared_ptr<const JudgeBrief> brief,
             std::string request_id, std::string session_id, std::function<void()> wake);
  ~CallJudges();  // judges still running are cancelled (their transfers aborted)
  CallJudges(const CallJudges&) = delete;
  CallJudges& operator=(const CallJudges&) = delete;

  // Starts the judge on each tool_use block that ends among `events` (blocks may span calls).
  void start_complete_calls(const AnthropicEvents& events, const HttpHeaders& credentials);

  bool all_answered() const { return verdicts_->size() >= calls_.size(); }

  // The `safeguard_results` of the calls judged so far, in order; a call without its verdict
  // yet (shutdown) gets the unavailable verdict.
  boost::json::array results() const;

  // Judges `call` now and waits (the proxy's own WebFetch, before it is made); the calls
  // judged so far are its context. Not counted in results(): it is not the client's call.
  net::awaitable<JudgeOutcome> judge_now(JudgedCall call, const HttpHeaders& credentials);

  // Every judgement made, for the ledger (each is a paid upstream call).
  std::vector<const JudgeOutcome*> outcomes() const;

 private:
  ServerContext& context_;
  net::any_io_executor executor_;
  std::shared_ptr<const JudgeBrief> brief_;
  std::string request_id_, session_id_;
  std::function<void()> wake_;
  std::map<std::int64_t, std::pair<JudgedCall, std::string>> open_;  // block index → call, arguments so far
  std::vector<JudgedCall> calls_;                                     // the client's calls, in order
  // By tool_use id; shared with the judges' completion handlers, which may outlive this.
  std::shared_ptr<std::map<std::string, JudgeOutcome>> verdicts_ =
      std::make_shared<std::map<std::string, JudgeOutcome>>();
  std::vector<std::shared_ptr<net::cancellation_signal>> cancels_;
  std::vector<JudgeOutcome> immediate_;  // judge_now's
};

}  // namespace claudegpt
