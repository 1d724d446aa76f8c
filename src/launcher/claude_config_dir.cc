#include "launcher/claude_config_dir.h"

#include <string_view>
#include <system_error>

#include <sys/stat.h>

#include <boost/json.hpp>

#include "core/model_tier.h"
#include "support/bounded_file.h"
#include "support/log.h"
#include "support/private_file.h"

namespace claudegpt {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kStatusLineArgument = " statusline";

// `text` as one word for the shell Claude Code runs the status line command with.
std::string shell_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Whether `command` is the form put_status_line writes: '<a claudegpt binary>' statusline.
bool is_claudegpt_status_line(std::string_view command) {
  if (!command.ends_with(kStatusLineArgument)) return false;
  command.remove_suffix(kStatusLineArgument.size());
  if (command.size() < 2 || command.front() != '\'' || command.back() != '\'') return false;
  command = command.substr(1, command.size() - 2);
  std::size_t slash = command.rfind('/');
  std::string_view name = slash == std::string_view::npos ? command : command.substr(slash + 1);
  return name.starts_with("claudegpt");
}

// The status line entry: added, or refreshed when it is ours for another binary.
void put_status_line(boost::json::object& settings) {
  std::error_code ec;
  std::string self = fs::read_symlink("/proc/self/exe", ec).string();
  if (ec || self.empty()) return;
  const std::string command = shell_quoted(self) + std::string(kStatusLineArgument);
  if (const boost::json::value* existing = settings.if_contains("statusLine")) {
    const boost::json::object* line = existing->if_object();
    const boost::json::value* old = line ? line->if_contains("command") : nullptr;
    if (!old || !old->is_string() || !is_claudegpt_status_line(old->get_string())) return;
  }
  settings["statusLine"] = {{"type", "command"}, {"command", command}};
}

void put_model_picker(boost::json::object& settings, const std::vector<TierModel>& models) {
  boost::json::array options;
  for (const TierModel& model : models)
    options.push_back({{"model", model.id},
                       {"label", model.label},
                       {"description", model.description},
                       {"behavesAs", model.behaves_as}});
  settings["modelPicker"] = {{"replaceBuiltInOptions", true}, {"options", std::move(options)}};
  // A saved choice of a full id ("claude-opus-gpt-5.4") from an earlier configuration: the
  // same tier's id now, so that it keeps its label. Aliases ("opus") resolve by themselves.
  const boost::json::value* saved = settings.if_contains("model");
  if (!saved || !saved->is_string() || !saved->get_string().starts_with("claude-")) return;
  const ModelTier tier = tier_of(saved->get_string());
  if (tier == ModelTier::other) return;
  // A fable id without a fable row: opus's, which answers the same (model_pins.h).
  if (const TierModel& row = tier_row(models, tier); saved->get_string() != row.id) settings["model"] = row.id;
}

}  // namespace

void update_claude_settings(const fs::path& dir, bool status_line, const std::vector<TierModel>& models) {
  fs::path file = dir / "settings.json";
  boost::json::object settings;
  std::error_code ec;
  if (fs::exists(file, ec)) {
    BoundedFile read = read_bounded_file(file.string());
    if (read.status == BoundedFile::Status::too_large) {  // /dev/zero, a huge file: left alone
      log_warn(file.string(), ": larger than ", kBoundedFileLimitText,
               ": not a Claude Code settings.json; claudegpt's entries are not added");
      return;
    }
    if (read.status != BoundedFile::Status::read) return;  // as a malformed one: left alone
    boost::system::error_code parse_error;
    boost::json::value parsed = boost::json::parse(read.text, parse_error);
    if (parse_error || !parsed.is_object()) return;  // not ours to repair
    settings = std::move(parsed.get_object());
  }
  const boost::json::object before = settings;
  if (status_line) put_status_line(settings);
  if (!models.empty()) put_model_picker(settings, models);
  if (settings != before || !fs::exists(file, ec)) write_private_file(file, boost::json::serialize(settings) + "\n");
}

void prepare_config_dir(const fs::path& dir, const std::function<const char*(const char*)>& getenv,
                        bool status_line, const std::vector<TierModel>& models) {
  std::error_code ec;
  // Every directory made here is private (0700), also the parents (~/.config/claudegpt).
  fs::path made;
  for (const fs::path& part : dir) {
    made /= part;
    if (!fs::exists(made, ec)) ::mkdir(made.c_str(), 0700);
  }
  update_claude_settings(dir, status_line, models);
  const char* home = getenv("HOME");
  if (!home || !*home) return;
  fs::path global = fs::path(home) / ".claude" / "CLAUDE.md";
  if (fs::exists(global, ec)) fs::copy_file(global, dir / "CLAUDE.md", fs::copy_options::overwrite_existing, ec);
}

std::optional<std::string> last_session_since(const fs::path& dir, std::time_t since) {
  std::optional<std::string> newest;
  fs::file_time_type newest_time;
  const auto cutoff = fs::file_time_type::clock::now() -
                      std::chrono::seconds(std::time(nullptr) - since);
  std::error_code ec;
  for (fs::directory_iterator folders(dir / "projects", ec), end; !ec && folders != end; folders.increment(ec)) {
    if (!folders->is_directory(ec)) continue;
    for (fs::directory_iterator files(folders->path(), ec); !ec && files != end; files.increment(ec)) {
      const fs::path& path = files->path();
      if (path.extension() != ".jsonl" || !files->is_regular_file(ec)) continue;
      fs::file_time_type written = files->last_write_time(ec);
      if (ec || written < cutoff || (newest && written <= newest_time)) continue;
      newest = path.stem().string();
      newest_time = written;
    }
    ec.clear();
  }
  return newest;
}

}  // namespace claudegpt
