#include "server/call_judges.h"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/json/parse.hpp>

#include "core/json_depth.h"
#include "core/json_fields.h"
#include "support/log.h"

namespace claudegpt {

namespace {

const char* outcome_word(const JudgeOutcome& done) {
  switch (done.verdict.kind) {
    case SafetyVerdict::Kind::allowed: return "allowed";
    case SafetyVerdict::Kind::flagged: return "flagged";
    case SafetyVerdict::Kind::unavailable: break;
  }
  return "unavailable";
}

}  // namespace

CallJudges::CallJudges(ServerContext& context, net::any_io_executor executor, std::shared_ptr<const JudgeBrief> brief,
                       std::string request_id, std::string session_id, std::function<void()> wake)
    : context_(context),
      executor_(std::move(executor)),
      brief_(std::move(brief)),
      request_id_(std::move(request_id)),
      session_id_(std::move(session_id)),
      wake_(std::move(wake)) {}

CallJudges::~CallJudges() {
  for (auto& cancel : cancels_) cancel->emit(net::cancellation_type::terminal);
}

void CallJudges::start_complete_calls(const AnthropicEvents& events, const HttpHeaders& credentials) {
  for (const AnthropicEvent& event : events) {
    const boost::json::value* index_value = event.data.if_contains("index");
    const std::int64_t index = index_value && index_value->is_int64() ? index_value->get_int64() : -1;
    if (event.type == "content_block_start") {
      const boost::json::object* block = object_field(event.data, "content_block");
      if (block && string_field(*block, "type") == "tool_use")
        open_[index] = {JudgedCall{std::string(string_field(*block, "id")), std::string(string_field(*block, "name")), {}},
                        ""};
      continue;
    }
    auto open = open_.find(index);
    if (open == open_.end()) continue;
    if (event.type == "content_block_delta") {
      if (const boost::json::object* delta = object_field(event.data, "delta"))
        open->second.second.append(string_field(*delta, "partial_json"));
      continue;
    }
    if (event.type != "content_block_stop") continue;
    JudgedCall call = std::move(open->second.first);
    boost::system::error_code ec;
    boost::json::value input = boost::json::parse(open->second.second, ec, {}, deep_json());
    if (!ec && input.is_object()) call.input = std::move(input.get_object());
    open_.erase(open);

    std::vector<JudgedCall> before = calls_;  // the response's earlier calls, as context
    calls_.push_back(call);
    auto cancel = std::make_shared<net::cancellation_signal>();
    cancels_.push_back(cancel);
    net::co_spawn(
        executor_,
        judge_call(context_, brief_, call, std::move(before), credentials, session_id_),
        net::bind_cancellation_slot(
            cancel->slot(),
            // The handler keeps what it needs: the turn may be gone when a cancelled judge ends.
            [verdicts = verdicts_, id = call.id, name = call.name, cancel, request_id = request_id_,
             wake = wake_](std::exception_ptr failure, JudgeOutcome done) {
              if (failure) {  // cancelled (the client left) or an internal error
                done = JudgeOutcome{};
                done.verdict = SafetyVerdict::unavailable("error");
                done.failure = "not completed";
              }
              // The tool's name only: the log never carries what the call holds.
              log_info("request ", request_id, ": auto-mode judge on ", name, ": ", outcome_word(done),
                       done.failure.empty() ? "" : " (" + done.failure + ")", " in ", done.ms, " ms");
              (*verdicts)[id] = std::move(done);
              wake();
            }));
  }
}

boost::json::array CallJudges::results() const {
  std::vector<std::pair<std::string, SafetyVerdict>> verdicts;
  for (const JudgedCall& call : calls_) {
    auto judged = verdicts_->find(call.id);
    verdicts.emplace_back(call.id,
                          judged != verdicts_->end() ? judged->second.verdict : SafetyVerdict::unavailable("error"));
  }
  return safeguard_results(verdicts);
}

net::awaitable<JudgeOutcome> CallJudges::judge_now(JudgedCall call, const HttpHeaders& credentials) {
  const std::string name = call.name;
  JudgeOutcome done = co_await judge_call(context_, brief_, std::move(call), calls_, credentials, session_id_);
  log_info("request ", request_id_, ": auto-mode judge on the proxy's ", name, ": ", outcome_word(done), " in ",
           done.ms, " ms");
  immediate_.push_back(done);
  co_return done;
}

std::vector<const JudgeOutcome*> CallJudges::outcomes() const {
  std::vector<const JudgeOutcome*> all;
  for (const auto& [id, judged] : *verdicts_) all.push_back(&judged);
  for (const JudgeOutcome& judged : immediate_) all.push_back(&judged);
  return all;
}

}  // namespace claudegpt
