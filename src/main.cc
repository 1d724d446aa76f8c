// claudegpt: Claude Code on OpenAI's GPT-5 models.
//
//   claudegpt [claude args…]   Claude Code on a private in-process proxy (the default)
//   claudegpt serve            the proxy alone, for IDE plugins or several terminals
//   claudegpt config           the effective configuration and where each value comes from
//   claudegpt doctor           checks, one line each, with a fix for each failure
//   claudegpt setup            the questions that configure a backend (also run on first use)
//   claudegpt usage | traces | statusline   what the turns cost, the recent turns, the status line
//   claudegpt --version | --help | help
//
// One bare word that looks like a command of ours is not sent to the model as a prompt
// (launcher/command_guess.h); `claudegpt -- WORD` sends it.
//
// Every command reads the same configuration: flags, the environment, the config dir's .env,
// ~/.claude/.env (config/config_sources.h).
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iomanip>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include <iostream>

#include <CLI/CLI.hpp>

#include "config/config_sources.h"
#include "config/settings.h"
#include "admin/keys_command.h"
#include "doctor/doctor.h"
#include "reports/usage_commands.h"
#include "launcher/claude_binary.h"
#include "launcher/command_guess.h"
#include "launcher/launch.h"
#include "launcher/launcher_args.h"
#include "launcher/launcher_log.h"
#include "server/http_server.h"
#include "server/judge_command.h"
#include "support/log.h"
#include "upstream/refusal_store.h"
#include "wizard/setup_wizard.h"

namespace {

// `widened`: widened_access_warnings() for these settings, logged once the proxy listens.
int serve(claudegpt::Settings settings, const std::vector<std::string>& widened) {
  // Off loopback a key is required (anyone who reaches the port could spend the quota):
  // listen() judges the address it binds, and throws with what to do.
  claudegpt::HttpServer server(settings);
  unsigned short port = server.listen(settings.host, static_cast<unsigned short>(settings.port));
  // Scripts read this line to find the port (with --port 0).
  bool ipv6 = settings.host.find(':') != std::string::npos;
  std::printf("listening on http://%s%s%s:%u\n", ipv6 ? "[" : "", settings.host.c_str(), ipv6 ? "]" : "", port);
  std::fflush(stdout);
  claudegpt::log_info("claudegpt ", CLAUDEGPT_VERSION, " serving ", claudegpt::to_string(settings.provider), " on ",
                      settings.host, ":", port);
  for (const std::string& warning : widened) claudegpt::log_warn(warning);
  if (settings.provider == claudegpt::ProviderKind::openai && settings.openai_api_key.empty())
    claudegpt::log_warn("OPENAI_API_KEY is not set: the upstream will refuse requests (401)");
  if (settings.provider == claudegpt::ProviderKind::codex && !std::filesystem::exists(settings.codex_auth_file))
    claudegpt::log_warn("no Codex login at ", settings.codex_auth_file, ": run `codex login` first");
  if (settings.provider == claudegpt::ProviderKind::azure && settings.azure_api_key.empty() && settings.azure_ad_token.empty())
    claudegpt::log_warn("neither AZURE_OPENAI_API_KEY nor AZURE_OPENAI_AD_TOKEN is set: the upstream will refuse requests (401)");
  server.run();
  claudegpt::log_info("stopped");
  return 0;
}

// `claudegpt --help`: a newcomer's first page. The commands are `app`'s; the files are this
// user's, where the commands put them. A configuration that does not load still gets its page,
// with the error in place of what it hides.
std::string help_page(CLI::App& app) {
  std::ostringstream out;
  out << "claudegpt " CLAUDEGPT_VERSION ": Claude Code on OpenAI GPT-5 models (Responses API).\n\n"
         "Usage: claudegpt [--effort LEVEL] [claude args…]   Claude Code on a private proxy\n"
         "       claudegpt COMMAND [options]                  one of the commands below\n\n"
         "Claude Code's arguments pass through (`claude --help` lists them):\n"
         "  claudegpt -p \"fix the tests\"   print mode; `claudegpt` alone opens a session\n"
         "  claudegpt -- WORD              a one-word prompt (a bare word that looks like a\n"
         "                                 command is refused, not sent to the model)\n"
         "  --effort LEVEL                 reasoning effort for every tier, this run:\n"
         "                                 none|minimal|low|medium|high|xhigh|max\n\n"
         "Commands (`claudegpt COMMAND --help` for their options):\n"
      << std::left;
  for (const CLI::App* command : app.get_subcommands([](CLI::App*) { return true; }))
    out << "  " << std::setw(12) << command->get_name() << command->get_description() << "\n";
  out << "  " << std::setw(12) << "help" << "This page; `claudegpt --version` prints the version\n\n"
      << "Files:\n";
  auto row = [&out](const char* what, const std::string& path) {
    out << "  " << std::setw(14) << what << path << "\n";
  };
  try {
    auto sources = claudegpt::ConfigSources::load({}, std::getenv, {});
    row("settings", sources.dotenv_path().string());
    try {
      auto settings = sources.settings();
      row("usage ledger", settings.ledger_path);
      row("traces", settings.trace_dir + "/");
    } catch (const std::exception& error) {
      out << "  (the ledger and traces: " << error.what() << ")\n";
    }
    const char* log = sources.get("CLAUDEGPT_LOG_FILE");  // as run_launcher reads it
    row("proxy log", log && *log ? std::string(log) : claudegpt::default_log_file(std::getenv).string());
  } catch (const std::exception& error) {
    out << "  (cannot be shown: " << error.what() << ")\n";
  }
  out << "\nEnvironment (or the settings file; `claudegpt config` shows each value and its source):\n"
         "  CLAUDEGPT_PROVIDER      openai, azure or codex (a ChatGPT plan, via `codex login`)\n"
         "  OPENAI_API_KEY, AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY: the backend's access\n"
         "  CLAUDEGPT_CLAUDE_BIN    the claude to run (default: claude on PATH)\n"
         "  CLAUDEGPT_EFFORT        one reasoning effort for every turn, serve included\n"
         "  CLAUDEGPT_LOG_FILE      the launcher's proxy log (/dev/null: none; serve logs to stderr)\n"
         "  CLAUDEGPT_CONFIG_DIR, XDG_CONFIG_HOME, XDG_STATE_HOME: move the files above\n\n"
         "More: `man claudegpt`, or README.md in the claudegpt checkout (every setting).\n";
  return out.str();
}

int run_command(int argc, char** argv) {
  CLI::App app{"Claude Code on OpenAI GPT-5 models through the Responses API", "claudegpt"};
  app.set_version_flag("--version", std::string("claudegpt ") + CLAUDEGPT_VERSION);
  std::string host;
  int port = -1;
  auto* config_cmd = app.add_subcommand("config", "Print the effective configuration, secrets masked");
  auto* setup_cmd =
      app.add_subcommand("setup", "Choose and configure the backend (writes the config dir's .env)");
  auto* doctor_cmd = app.add_subcommand("doctor", "Check configuration, files, claude and the upstream");
  bool reset_capabilities = false;
  doctor_cmd->add_flag("--reset-capabilities", reset_capabilities,
                       "Forget the optional fields the upstream refused (they are tried again)");
  auto* serve_cmd = app.add_subcommand("serve", "Run the Anthropic-compatible proxy in the foreground");
  serve_cmd->add_option("--host", host, "Address to bind (default 127.0.0.1, or CLAUDEGPT_HOST)");
  serve_cmd->add_option("--port", port, "Port (default 3210, or CLAUDEGPT_PORT; 0 picks a free one)")
      ->check(CLI::Range(0, 65535));
  claudegpt::UsageCommand usage;
  auto* usage_cmd = app.add_subcommand("usage", "Tokens and cost of the recorded turns, as a table");
  usage_cmd->add_option("--since", usage.since, "Only turns since: 7d, 24h, 30m, 2w, 2026-11-01");
  usage_cmd->add_option("--by", usage.by, "Rows per day (default), model, session or cwd");
  usage_cmd->add_flag("--json", usage.json, "JSON for scripts");
  std::size_t last = 20;
  std::string trace_id;
  auto* traces_cmd = app.add_subcommand("traces", "The recent turns (time, model, tokens, cost, latency)");
  traces_cmd->add_option("--last", last, "How many (default 20)");
  auto* show_cmd = traces_cmd->add_subcommand("show", "One turn: a summary, or its whole trace with --json");
  show_cmd->add_option("id", trace_id, "The turn's id (req_…)")->required();
  bool whole_trace = false;
  show_cmd->add_flag("--json", whole_trace, "The whole trace, as JSON");
  auto* statusline_cmd =
      app.add_subcommand("statusline", "Claude Code status line: upstream model and session cost");
  std::string judge_calls;
  bool judge_json = false;
  auto* judge_cmd =
      app.add_subcommand("judge", "Run the auto-mode judge on a labelled set of tool calls (bench/judge)");
  judge_cmd->add_option("--calls", judge_calls, "The calls, one JSON object a line")->required();
  judge_cmd->add_flag("--json", judge_json, "One JSON line per call");
  claudegpt::KeysCommand keys;
  auto* keys_cmd = app.add_subcommand(
      "keys", "A team gateway's virtual keys, in its database (CLAUDEGPT_DATABASE_URL)");
  keys_cmd->require_subcommand(1);
  auto* keys_create = keys_cmd->add_subcommand("create", "Make a key and print it, once");
  keys_create->add_option("--user", keys.user, "Whose key it is")->required();
  keys_create->add_option("--team", keys.team, "Their team");
  keys_create->add_option("--budget", keys.budget_usd, "What it may spend per period, USD")
      ->check(CLI::NonNegativeNumber);
  keys_create->add_option("--period", keys.period, "The budget's period: day, week or month (default)");
  keys_create->add_option("--rpm", keys.rpm, "Requests per minute at most")->check(CLI::PositiveNumber);
  keys_create->add_option("--tpm", keys.tpm, "Tokens per minute at most")->check(CLI::PositiveNumber);
  keys_create->add_option("--tiers", keys.tiers, "The only tiers it may use: opus,sonnet,haiku,fable,other");
  keys_create->add_option("--expires", keys.expires, "When it stops working: 90d, 12w, 2027-03-01");
  keys_create->add_flag("--json", keys.json, "One JSON object, the key included");
  auto* keys_list = keys_cmd->add_subcommand("list", "Every key: id, owner, limits, state (never the key)");
  keys_list->add_flag("--json", keys.json, "A JSON array");
  auto* keys_revoke = keys_cmd->add_subcommand("revoke", "Stop a key working, on every gateway instance");
  keys_revoke->add_option("id", keys.id, "The key's id (key_…)")->required();
  auto* keys_rotate = keys_cmd->add_subcommand("rotate", "Give a key a new secret; the old one stops working");
  keys_rotate->add_option("id", keys.id, "The key's id (key_…)")->required();
  keys_rotate->add_flag("--json", keys.json, "One JSON object, the new key included");
  if (argc > 1 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
    std::fputs(help_page(app).c_str(), stdout);  // a command's own --help is CLI11's
    return 0;
  }
  CLI11_PARSE(app, argc, argv);
  std::map<std::string, std::string> overrides, flag_names;
  if (!host.empty()) overrides["CLAUDEGPT_HOST"] = host, flag_names["CLAUDEGPT_HOST"] = "--host";
  if (port >= 0) overrides["CLAUDEGPT_PORT"] = std::to_string(port), flag_names["CLAUDEGPT_PORT"] = "--port";
  auto sources = claudegpt::ConfigSources::load(overrides, std::getenv, flag_names);
  if (config_cmd->parsed()) {
    auto settings = sources.settings();
    std::fputs(claudegpt::describe(sources, settings).c_str(), stdout);
    return 0;
  }
  if (doctor_cmd->parsed() && reset_capabilities) {
    claudegpt::RefusalStore store(sources.settings().refusals_file);
    std::size_t forgotten = store.clear();
    std::printf("Forgot %zu refused option%s (%s): the next requests try them again.\n", forgotten,
                forgotten == 1 ? "" : "s", store.file().c_str());
    return 0;
  }
  if (doctor_cmd->parsed()) return claudegpt::run_doctor(sources, std::cout);
  if (usage_cmd->parsed() || traces_cmd->parsed() || statusline_cmd->parsed()) {
    auto settings = sources.settings();
    if (usage_cmd->parsed()) return claudegpt::print_usage(settings, usage, std::cout, std::cerr);
    if (show_cmd->parsed()) return claudegpt::print_trace(settings, trace_id, whole_trace, std::cout, std::cerr);
    if (traces_cmd->parsed()) return claudegpt::print_traces(settings, last, std::cout, std::cerr);
    return claudegpt::print_status_line(settings, std::cin, std::cout);
  }
  if (keys_cmd->parsed()) {
    using Action = claudegpt::KeysCommand::Action;
    keys.action = keys_create->parsed()   ? Action::create
                  : keys_revoke->parsed() ? Action::revoke
                  : keys_rotate->parsed() ? Action::rotate
                                          : Action::list;
    const char* url = sources.get("CLAUDEGPT_DATABASE_URL");
    return claudegpt::run_keys_command(url ? url : "", keys, std::cout, std::cerr);
  }
  if (judge_cmd->parsed())
    return claudegpt::run_judge_command(sources.settings(), judge_calls, judge_json, std::cout, std::cerr);
  if (setup_cmd->parsed()) {
    if (!isatty(STDIN_FILENO)) {  // nobody to answer: say what to set instead of waiting
      std::fputs("claudegpt setup asks questions and needs a terminal; stdin is not one.\n", stderr);
      std::fputs(claudegpt::provider_configured(sources)
                     ? "A backend is configured already: `claudegpt config` shows it.\n"
                     : claudegpt::missing_settings_message(sources).c_str(),
                 stderr);
      return 2;
    }
    return claudegpt::run_setup_wizard(std::cin, std::cout, sources, /*interactive=*/true);
  }
  if (!serve_cmd->parsed()) {
    std::fputs(help_page(app).c_str(), stdout);
    return 0;
  }
  auto settings = sources.settings();
  return serve(settings, claudegpt::widened_access_warnings(sources, settings));
}

int run_launcher(int argc, char** argv) {
  auto split = claudegpt::split_launcher_args(std::vector<std::string>(argv + 1, argv + argc));
  // A typo is a billed prompt: a bare word that looks like a command stops here, before any
  // configuration, proxy or Claude Code.
  if (auto guess = claudegpt::guess_command(split.claude_args)) {
    std::fputs(guess->message.c_str(), stderr);
    return 2;
  }
  auto sources = claudegpt::ConfigSources::load({}, std::getenv, {});
  auto binary = claudegpt::find_claude_binary(sources.getenv());  // CLAUDEGPT_CLAUDE_BIN may be in a .env
  if (!binary) {
    // An ignored CLAUDEGPT_CLAUDE_BIN in ~/.claude/.env may be why.
    for (const std::string& warning : sources.ignored_widening()) claudegpt::log_warn(warning);
    std::fprintf(stderr, "claudegpt: %s\n", claudegpt::kClaudeMissingMessage);
    return 127;
  }
  claudegpt::LaunchOptions launch;
  if (!claudegpt::provider_configured(sources)) {  // first run: ask, or say what is missing
    if (!isatty(STDIN_FILENO)) {
      std::fputs(claudegpt::missing_settings_message(sources).c_str(), stderr);
      return 2;
    }
    if (int code = claudegpt::run_setup_wizard(std::cin, std::cout, sources, true); code != 0)
      return code;
    sources = claudegpt::ConfigSources::load({}, std::getenv, {});
  }
  launch.settings = sources.settings();
  for (const std::string& warning :
       claudegpt::widened_access_warnings(sources, launch.settings, claudegpt::ProxyFor::launcher))
    claudegpt::log_warn(warning);
  launch.claude_binary = *binary;
  launch.claude_args = std::move(split.claude_args);
  launch.effort = split.effort;
  if (const char* log = sources.get("CLAUDEGPT_LOG_FILE")) launch.log_file = log;
  return claudegpt::run_claude(launch);
}

}  // namespace

int main(int argc, char** argv) {
  // Our own commands come first; anything else is Claude Code's command line.
  std::string_view first = argc > 1 ? argv[1] : "";
  bool ours = claudegpt::is_claudegpt_command(first) || first == "--version" || first == "--help" ||
              first == "-h";
  // `claudegpt help` is --help, `claudegpt help usage` is `claudegpt usage --help`; `help`
  // with anything else is Claude Code's command line, as before.
  std::string help_flag = "--help";
  std::vector<char*> help_argv = {argv[0]};
  if (first == "help" && (argc == 2 || (argc == 3 && claudegpt::is_claudegpt_command(argv[2])))) {
    if (argc == 3) help_argv.push_back(argv[2]);
    help_argv.push_back(help_flag.data());
    help_argv.push_back(nullptr);
    argc = static_cast<int>(help_argv.size()) - 1;
    argv = help_argv.data();
    ours = true;
  }
  try {
    return ours ? run_command(argc, argv) : run_launcher(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "claudegpt: %s\n", error.what());
    return 2;
  }
}
