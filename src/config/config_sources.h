// Where each setting comes from. Highest first:
//   1. command-line overrides (a variable → value map the caller builds from its flags),
//   2. the process environment,
//   3. <config dir>/.env, the file `claudegpt setup` writes,
//   4. ~/.claude/.env, but only its CLAUDEGPT_*, AZURE_OPENAI_* and OPENAI_* keys (the Python
//      original read its settings from there; other keys in it belong to Claude Code), and
//      none that widens access (widens_access() below),
//   5. the defaults in Settings.
// The config dir is CLAUDEGPT_CONFIG_DIR (from the overrides or the environment), else
// $XDG_CONFIG_HOME/claudegpt, else ~/.config/claudegpt.
//
// ConfigSources is a getenv for Settings::from_environment, so the parsing and the defaults
// stay in one place:
//   ConfigSources sources = ConfigSources::load(flags);
//   Settings settings = sources.settings();  // errors say where a refused value came from
#pragma once

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"

namespace claudegpt {

// One variable with a value, as the highest source that sets it gives it.
struct ConfigEntry {
  std::string name;
  std::string value;   // a secret for some names: see is_secret_setting()
  std::string source;  // "--effort", "command line", "environment", "~/.config/claudegpt/.env:3"
};

class ConfigSources {
 public:
  using Getenv = std::function<const char*(const char*)>;

  // Reads both .env files (a missing file is no error). `getenv` stands for the process
  // environment; `flag_names` maps an override's variable to the flag that set it, for
  // source_of() (default label: "command line"). Throws DotenvError for a malformed .env and
  // std::runtime_error for one that exists but cannot be read or is larger than 1 MiB
  // (read_dotenv_text).
  static ConfigSources load(
      const std::map<std::string, std::string>& overrides = {},
      const Getenv& getenv = [](const char* name) -> const char* { return std::getenv(name); },
      const std::map<std::string, std::string>& flag_names = {});

  // The effective value of `name`, nullptr when no source sets it. The pointer stays valid as
  // long as this object (and, for environment values, the environment) does.
  const char* get(const char* name) const;
  // get() as a function, for Settings::from_environment. It refers to this object: do not let
  // it outlive it, or call it after this object has been moved.
  Getenv getenv() const {
    return [this](const char* name) { return get(name); };
  }
  // Settings::from_environment(getenv()), its errors naming each refused value's source:
  // "CLAUDEGPT_PING_INTERVAL_MS=0 (~/.config/claudegpt/.env:4): must be between 100 and
  // 600000 ms". Throws std::invalid_argument.
  Settings settings() const;

  // Where `name`'s value comes from: a flag, "command line", "environment",
  // "<file>:<line>", or "default" when nothing sets it.
  std::string source_of(std::string_view name) const;

  // Every variable some source sets that claudegpt reads (known settings) or that sits in one
  // of the two .env files or the overrides, by name, with the winning value.
  std::vector<ConfigEntry> entries() const;

  // "unknown setting X in <file>:<line>" for .env keys with our prefixes that claudegpt does
  // not read (typos, settings of a newer or older version), and the ignored_widening() lines.
  std::vector<std::string> warnings() const;
  // One line per key of ~/.claude/.env that was ignored because it widens access:
  // "CLAUDEGPT_WEB_FETCH_ALLOW_PRIVATE in ~/.claude/.env:3 is ignored: settings that widen
  // access are read only from flags, the environment and ~/.config/claudegpt/.env".
  const std::vector<std::string>& ignored_widening() const { return ignored_widening_; }

  const std::filesystem::path& config_dir() const { return config_dir_; }
  // <config dir>/.env: where `claudegpt setup` writes.
  std::filesystem::path dotenv_path() const { return config_dir_ / ".env"; }
  // Whether each .env file was there when load() ran.
  bool config_file_found() const { return config_file_found_; }
  bool claude_file_found() const { return claude_file_found_; }
  std::filesystem::path claude_dotenv_path() const;  // ~/.claude/.env
  // How the paths are shown: $HOME as ~.
  std::string display_path(const std::filesystem::path& path) const;

 private:
  struct FileValue {
    std::string value;
    std::string source;  // "<file>:<line>"
  };

  const FileValue* from_files(std::string_view name) const;

  std::map<std::string, std::string, std::less<>> overrides_;
  std::map<std::string, std::string, std::less<>> flag_names_;
  Getenv getenv_;
  std::string home_;
  std::filesystem::path config_dir_;
  std::map<std::string, FileValue, std::less<>> config_file_;  // <config dir>/.env
  std::map<std::string, FileValue, std::less<>> claude_file_;  // ~/.claude/.env, filtered
  bool config_file_found_ = false;
  bool claude_file_found_ = false;
  std::vector<std::string> warnings_;
  std::vector<std::string> ignored_widening_;
};

// Every variable name claudegpt reads (Settings and the launcher).
const std::vector<std::string_view>& known_settings();
// Whether a variable holds a credential (API keys, tokens): shown masked, never in full.
bool is_secret_setting(std::string_view name);
// A secret as it may be shown: "…a1b2" (the last 4 characters) for long values, "(set)" for
// short ones, "(not set)" for empty ones.
std::string mask_secret(std::string_view value);

// Whether a setting widens access: who can reach the proxy (CLAUDEGPT_HOST,
// CLAUDEGPT_PROXY_KEY), what its WebFetch may reach (CLAUDEGPT_WEB_FETCH_ALLOW_PRIVATE), which
// certificates it trusts (CLAUDEGPT_CA_BUNDLE, SSL_CERT_FILE), what the launcher runs
// (CLAUDEGPT_CLAUDE_BIN), where the Codex login's tokens go (CLAUDEGPT_CODEX_ENDPOINT,
// _BASE_URL, _TOKEN_URL). These are read only from flags, the environment and the config
// dir's .env: Claude Code's own tools can write ~/.claude/.env, so an agent steered by a
// hostile page or file could otherwise open the proxy, its fetches, or the next launch to
// whoever steers it.
bool widens_access(std::string_view name);

// Whether `host` only accepts connections from this machine (localhost, 127.x.x.x, ::1).
bool is_loopback_host(std::string_view host);

// What the proxy is started for: `claudegpt serve` listens where the settings say; the
// launcher's proxy listens on 127.0.0.1 with a per-run key, whatever they say.
enum class ProxyFor { serve, launcher };

// The log lines for start-up: one per setting in effect that widens access, with its value
// (a secret's never) and its source, e.g.
//   CLAUDEGPT_HOST=0.0.0.0 (--host): the proxy can be reached from other machines
// then the ignored_widening() lines, so that a refused setting does not go unnoticed.
std::vector<std::string> widened_access_warnings(const ConfigSources& sources,
                                                 const Settings& settings,
                                                 ProxyFor proxy_for = ProxyFor::serve);

// The text `claudegpt config` prints: the config files, then every setting that matters for the
// configured provider, one per line with its effective value and its source, secrets masked,
// then warnings: unknown or ignored settings in the .env files, and what widens access.
std::string describe(const ConfigSources& sources, const Settings& settings);

}  // namespace claudegpt
