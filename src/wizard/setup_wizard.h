// `claudegpt setup`: the questions a new user answers once, on a terminal.
//
// It asks which backend (Azure OpenAI, OpenAI, Codex), then only what that backend needs (for
// OpenAI the base URL too), then which Claude tier new sessions start on (none: Claude Code's
// own choice, and /model is remembered). It rejects a wrong answer with the reason and asks
// again, offers a live test request, and writes the answers into <config dir>/.env
// (ConfigSources::dotenv_path()) at 0600, keeping the file's other entries. A key is read
// with the terminal's echo off and never printed; a current one is named by its tail.
//
// Every question offers the previous answer on Enter (the configured value, or the one given
// earlier in this run), so a rerun is Enter for what stays. After a failed test request the
// user tries again, changes the answers (those given are the defaults), saves anyway or quits.
//
// The launcher runs it first when no backend is configured (provider_configured()) and stdin
// is a terminal; without one it prints missing_settings_message() instead of waiting for
// answers nobody will type.
#pragma once

#include <iosfwd>
#include <string>

namespace claudegpt {

class ConfigSources;

// Whether some source selects a backend that can work: CLAUDEGPT_PROVIDER is set (to
// anything: a wrong or incomplete value is Settings' error to report, not a reason to ask),
// or OPENAI_API_KEY is, which the default provider (openai) runs on. AZURE_OPENAI_ENDPOINT or
// a Codex login alone do not count: without CLAUDEGPT_PROVIDER the provider is openai, which
// they do not serve.
bool provider_configured(const ConfigSources& sources);

// What to set by hand, for when there is no terminal to ask on: the variables per backend and
// the file to put them in. Several lines, ending in a newline.
std::string missing_settings_message(const ConfigSources& sources);

// Runs the wizard on `in`/`out`. `interactive`: `in` is the terminal on fd 0, so key echo is
// turned off while a key is typed. Returns 0 when the .env was written, 1 when the user gave
// up (end of input, quitting after a failed test request, a missing Codex login). Throws
// std::system_error when the .env cannot be written, DotenvError when the existing one is
// malformed.
int run_setup_wizard(std::istream& in, std::ostream& out, const ConfigSources& sources,
                     bool interactive);

}  // namespace claudegpt
