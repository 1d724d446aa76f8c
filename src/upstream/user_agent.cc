#include "upstream/user_agent.h"

#include <sys/utsname.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace claudegpt {
namespace {

// Printable ASCII only, and none of the characters that give the comment its structure.
std::string header_safe(std::string_view text, bool in_comment) {
  std::string out;
  for (char c : text) {
    if (c < ' ' || c > '~') continue;
    if (in_comment && (c == '(' || c == ')' || c == ';')) continue;
    out.push_back(c);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  while (!out.empty() && out.front() == ' ') out.erase(out.begin());
  return out;
}

std::string unquoted(std::string_view value) {
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
      value.back() == value.front())
    value = value.substr(1, value.size() - 2);
  return std::string(value);
}

std::string read_small_file(const char* path) {
  std::ifstream in(path);
  if (!in) return "";
  std::string text(16 * 1024, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? header_safe(value, false) : std::string();
}

MachineDescription describe_this_machine() {
  std::string os_release = read_small_file("/etc/os-release");
  if (os_release.empty()) os_release = read_small_file("/usr/lib/os-release");
  MachineDescription machine = os_release_fields(os_release);
  utsname names{};
  if (::uname(&names) == 0) {
    if (machine.os_name.empty()) machine.os_name = names.sysname;
    if (machine.os_version.empty()) machine.os_version = names.release;
    machine.arch = names.machine;
  }
  // As the Codex CLI names the terminal (codex-rs/terminal-detection, user_agent_token).
  if (std::string program = env_or_empty("TERM_PROGRAM"); !program.empty()) {
    std::string program_version = env_or_empty("TERM_PROGRAM_VERSION");
    machine.terminal = program_version.empty() ? program : program + "/" + program_version;
  } else {
    machine.terminal = env_or_empty("TERM");
  }
  return machine;
}

}  // namespace

std::string user_agent_for(std::string_view product, std::string_view version,
                           const MachineDescription& machine) {
  auto or_unknown = [](std::string text) { return text.empty() ? std::string("unknown") : text; };
  std::string os = header_safe(machine.os_name, true);
  std::string os_version = header_safe(machine.os_version, true);
  std::string system = os.empty() ? "unknown" : os_version.empty() ? os : os + " " + os_version;
  return header_safe(product, false) + "/" + header_safe(version, false) + " (" + system + "; " +
         or_unknown(header_safe(machine.arch, true)) + ") " +
         or_unknown(header_safe(machine.terminal, false));
}

MachineDescription os_release_fields(std::string_view os_release) {
  MachineDescription machine;
  std::istringstream lines{std::string(os_release)};
  for (std::string line; std::getline(lines, line);) {
    auto equals = line.find('=');
    if (equals == std::string::npos) continue;
    std::string_view key = std::string_view(line).substr(0, equals);
    std::string value = unquoted(std::string_view(line).substr(equals + 1));
    if (key == "NAME") machine.os_name = value.substr(0, value.find(' '));
    else if (key == "VERSION_ID") machine.os_version = value;
  }
  return machine;
}

const MachineDescription& this_machine() {
  static const MachineDescription machine = describe_this_machine();
  return machine;
}

const std::string& claudegpt_user_agent() {
  static const std::string agent = user_agent_for("claudegpt", CLAUDEGPT_VERSION, this_machine());
  return agent;
}

}  // namespace claudegpt
