// The User-Agent claudegpt sends upstream (Responses requests of every backend, and the Codex
// token refresh), in the shape the Codex CLI gives its own:
//
//   claudegpt/0.1.0 (Debian 12; x86_64) xterm-256color
//
// The Codex CLI sends `codex_cli_rs/<version> (<os> <os version>; <arch>) <terminal>` on every
// request (get_codex_user_agent, codex-rs/login/src/auth/default_client.rs, 2026; earlier
// codex-rs/core/src/default_client.rs @bdba7852, real-services-2026.md §6). A request without
// any User-Agent is what Cloudflare's managed challenge in front of chatgpt.com flags (§6);
// claudegpt names itself rather than pass for the Codex CLI.
#pragma once

#include <string>
#include <string_view>

namespace claudegpt {

struct MachineDescription {
  std::string os_name;     // "Debian" (the first word of os-release NAME), else uname's "Linux"
  std::string os_version;  // "12" (os-release VERSION_ID), else uname's release
  std::string arch;        // "x86_64" (uname machine), else "unknown"
  std::string terminal;    // TERM_PROGRAM[/TERM_PROGRAM_VERSION], else TERM, else "unknown"
};

// `product`/`version` (OS version; arch) terminal, as header-safe ASCII.
std::string user_agent_for(std::string_view product, std::string_view version,
                           const MachineDescription& machine);

// The os_name and os_version an /etc/os-release text gives ("" for what it lacks).
MachineDescription os_release_fields(std::string_view os_release);

// This machine, read once: /etc/os-release (else /usr/lib/os-release), uname, the environment.
const MachineDescription& this_machine();

// user_agent_for("claudegpt", CLAUDEGPT_VERSION, this_machine()), built once.
const std::string& claudegpt_user_agent();

}  // namespace claudegpt
