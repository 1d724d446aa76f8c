// One call of the auto-mode judge (core/safety_judge.h) on the upstream. Internal to
// src/server/ (and the `claudegpt judge` command).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/safety_judge.h"
#include "server/connection.h"

namespace claudegpt {

struct JudgeOutcome {
  SafetyVerdict verdict;         // unavailable (timeout / error) when the judge could not answer
  std::string failure;           // why it could not, for the log
  std::int64_t ms = 0;           // how long the call took
  // What it used: a paid call, with a ledger row of its own.
  std::string model;
  std::int64_t input_tokens = 0, cached_tokens = 0, output_tokens = 0, reasoning_tokens = 0;
};

// Never throws for a failed call: a failure is an unavailable verdict. A passing failure (5xx,
// 429, a dropped connection) is tried once more. Settings::judge_timeout bounds the whole call;
// cancelling the awaiting coroutine aborts the transfer.
net::awaitable<JudgeOutcome> judge_call(ServerContext& context, std::shared_ptr<const JudgeBrief> brief,
                                        JudgedCall call, std::vector<JudgedCall> before, HttpHeaders credentials,
                                        std::string session_id);

}  // namespace claudegpt
