// The config dir the launcher gives Claude Code (CLAUDE_CONFIG_DIR) when it isolates it from
// the user's global ~/.claude: what claudegpt puts there, and what it reads back.
#pragma once

#include <ctime>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "launcher/model_pins.h"

namespace claudegpt {

// Creates `dir` (and its missing parents) private, refreshes the copy of the user's global
// ~/.claude/CLAUDE.md in it (their instructions still apply), and updates its settings.json
// (update_claude_settings).
void prepare_config_dir(const std::filesystem::path& dir,
                        const std::function<const char*(const char*)>& getenv, bool status_line,
                        const std::vector<TierModel>& models);

// Puts claudegpt's entries in `dir`/settings.json, keeping the rest of the file:
//  - when `status_line`, `<this binary> statusline` as Claude Code's status line (the upstream
//    model and the session's cost). One of this form naming another claudegpt binary (moved,
//    reinstalled, an old build) is pointed at this one; any other status line is the user's
//    and stays.
//  - `models` as the /model picker (modelPicker, in place of the Claude rows: the header takes
//    its label from the row whose id is the session's model), and a saved /model choice of a
//    tier's id that is no longer offered (the upstream model changed) moved to the tier's
//    current id.
// A settings.json that is not a JSON object or cannot be read is left alone; so is one larger
// than 1 MiB (read_bounded_file: CLAUDEGPT_CLEAN_CONFIG_DIR may point anywhere, its
// settings.json at /dev/zero), with a warning naming it and the limit.
void update_claude_settings(const std::filesystem::path& dir, bool status_line,
                            const std::vector<TierModel>& models);

// The session Claude Code last wrote under `dir` since `since`: the id of the newest
// projects/<folder>/<id>.jsonl modified at or after it, or nullopt.
std::optional<std::string> last_session_since(const std::filesystem::path& dir, std::time_t since);

}  // namespace claudegpt
