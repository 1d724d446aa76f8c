// The config dir the launcher gives Claude Code (CLAUDE_CONFIG_DIR) when it isolates it from
// the user's global ~/.claude: what claudegpt puts there, and what it reads back.
#pragma once

#include <ctime>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace claudegpt {

// Creates `dir` (and its missing parents) private, refreshes the copy of the user's global
// ~/.claude/CLAUDE.md in it (their instructions still apply), and, when `status_line`, puts
// `claudegpt statusline` in its settings.json (enable_status_line).
void prepare_config_dir(const std::filesystem::path& dir,
                        const std::function<const char*(const char*)>& getenv, bool status_line);

// Puts `<this binary> statusline` in `dir`/settings.json (Claude Code's status line: the
// upstream model and the session's cost), keeping the rest of the file. A status line that
// this form wrote for another claudegpt binary (moved, reinstalled, an old build) is pointed
// at this one; any other status line is the user's and stays. A settings.json that is not a
// JSON object or cannot be read is left alone; so is one larger than 1 MiB (read_bounded_file:
// CLAUDEGPT_CLEAN_CONFIG_DIR may point anywhere, its settings.json at /dev/zero), with a
// warning naming it and the limit.
void enable_status_line(const std::filesystem::path& dir);

// The session Claude Code last wrote under `dir` since `since`: the id of the newest
// projects/<folder>/<id>.jsonl modified at or after it, or nullopt. After Claude Code exits,
// `claudegpt --resume <id>` reopens it (a plain `claude --resume` looks in ~/.claude).
std::optional<std::string> last_session_since(const std::filesystem::path& dir, std::time_t since);

}  // namespace claudegpt
