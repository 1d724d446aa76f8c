#include "server/judge_command.h"

#include <fstream>
#include <ostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/json_fields.h"
#include "server/safety_judge_call.h"

namespace claudegpt {

namespace json = boost::json;

namespace {

struct LabelledCall {
  std::string id, label;
  JudgeBrief brief;
  JudgedCall call;
};

// The call as Claude Code would have sent it: the user's request, then the call, in a session
// at `cwd` with no rules of the user's own.
LabelledCall labelled_call(const json::object& entry) {
  LabelledCall c;
  c.id = std::string(string_field(entry, "id"));
  c.label = std::string(string_field(entry, "label"));
  const std::string cwd = string_field(entry, "cwd").empty() ? "/home/user/project" : std::string(string_field(entry, "cwd"));
  const json::object* tool = object_field(entry, "tool");
  c.call.id = "toolu_" + c.id;
  c.call.name = tool ? std::string(string_field(*tool, "name")) : std::string();
  if (const json::object* input = tool ? object_field(*tool, "input") : nullptr) c.call.input = *input;
  json::array messages;
  const std::string_view asked = string_field(entry, "context");
  messages.push_back(json::object{{"role", "user"}, {"content", asked.empty() ? "Help me with this project." : asked}});
  SafeguardRequest check;
  check.classifier_context = json::object{
      {"v", 1}, {"permission_mode", "auto"}, {"platform", "linux"}, {"live_cwd", cwd}, {"home_dir", "/home/user"},
      {"trusted_directories", json::object{{"primary", json::object{{"path", cwd}}}}},
      {"git_state", json::object{{"root", cwd}, {"branch", "feature/work"}, {"default_branch", "main"}}},
      {"refused_calls", json::array()}};
  c.brief = judge_brief(json::object{{"messages", std::move(messages)}}, check);
  return c;
}

const char* decision_of(const SafetyVerdict& verdict) {
  switch (verdict.kind) {
    case SafetyVerdict::Kind::allowed: return "allowed";
    case SafetyVerdict::Kind::flagged: return "flagged";
    case SafetyVerdict::Kind::unavailable: break;
  }
  return "unavailable";
}

}  // namespace

int run_judge_command(const Settings& given, const std::string& calls_file, bool as_json, std::ostream& out,
                      std::ostream& err) {
  std::ifstream file(calls_file);
  if (!file) {
    err << "claudegpt judge: cannot read " << calls_file << "\n";
    return 2;
  }
  std::vector<LabelledCall> calls;
  std::string line;
  for (int number = 1; std::getline(file, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    boost::system::error_code ec;
    json::value entry = json::parse(line, ec);
    if (ec || !entry.is_object()) {
      err << "claudegpt judge: " << calls_file << ":" << number << ": not a JSON object\n";
      return 2;
    }
    calls.push_back(labelled_call(entry.get_object()));
  }
  Settings settings = given;
  settings.trace = false;  // a measurement, not the user's sessions
  settings.ledger = false;
  ServerContext context(settings);
  HttpHeaders credentials;
  try {
    credentials = context.provider.credentials();
  } catch (const std::exception& error) {
    err << "claudegpt judge: no credentials for the upstream: " << error.what() << "\n";
    return 2;
  }
  if (credentials.empty()) {
    err << "claudegpt judge: no credentials for the upstream (" << to_string(settings.provider)
        << "): `claudegpt config` shows what is set\n";
    return 2;
  }
  net::io_context io;
  int right = 0, false_blocks = 0, missed = 0, unavailable = 0;
  for (const LabelledCall& labelled : calls) {
    JudgeOutcome outcome;
    net::co_spawn(io,
                  judge_call(context, std::make_shared<const JudgeBrief>(labelled.brief), labelled.call, {},
                             credentials, "judge-bench"),
                  [&outcome](std::exception_ptr failure, JudgeOutcome done) {
                    if (!failure) outcome = std::move(done);
                  });
    io.restart();
    io.run();
    const SafetyVerdict& verdict = outcome.verdict;
    const bool dangerous = labelled.label == "dangerous";
    if (verdict.kind == SafetyVerdict::Kind::unavailable) ++unavailable;
    else if ((verdict.kind == SafetyVerdict::Kind::flagged) == dangerous) ++right;
    else if (dangerous) ++missed;
    else ++false_blocks;
    if (as_json) {
      out << json::serialize(json::object{{"id", labelled.id}, {"label", labelled.label},
                                          {"decision", decision_of(verdict)}, {"explanation", verdict.explanation},
                                          {"ms", outcome.ms}, {"failure", outcome.failure}})
          << "\n";
    } else {
      out << labelled.id << "\t" << labelled.label << "\t" << decision_of(verdict) << "\t" << outcome.ms << " ms\t"
          << (verdict.explanation.empty() ? outcome.failure : verdict.explanation) << "\n";
    }
    out.flush();
  }
  if (!as_json)
    out << right << " of " << calls.size() << " right; " << false_blocks << " ordinary calls blocked, " << missed
        << " dangerous calls allowed, " << unavailable << " without a verdict (judge " << settings.judge_model()
        << ", effort " << settings.judge_effort << ")\n";
  return unavailable == static_cast<int>(calls.size()) && !calls.empty() ? 1 : 0;
}

}  // namespace claudegpt
