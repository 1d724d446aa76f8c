#include "launcher/launcher_args.h"

#include <stdexcept>
#include <string_view>

namespace claudegpt {
namespace {

std::string effort_level(std::string_view value) {
  if (value == "max") return "xhigh";
  for (std::string_view known : {"none", "minimal", "low", "medium", "high", "xhigh"})
    if (value == known) return std::string(value);
  throw std::invalid_argument("--effort: expected none|minimal|low|medium|high|xhigh|max, got '" +
                              std::string(value) + "'");
}

}  // namespace

LauncherArgs split_launcher_args(const std::vector<std::string>& args) {
  LauncherArgs split;
  constexpr std::string_view kFlag = "--effort", kFlagWithValue = "--effort=";
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--") {
      split.claude_args.insert(split.claude_args.end(), args.begin() + static_cast<long>(i), args.end());
      break;
    }
    if (arg == kFlag) {
      if (i + 1 == args.size()) throw std::invalid_argument("--effort: needs a level");
      split.effort = effort_level(args[++i]);
    } else if (arg.starts_with(kFlagWithValue)) {
      split.effort = effort_level(arg.substr(kFlagWithValue.size()));
    } else {
      split.claude_args.emplace_back(arg);
    }
  }
  return split;
}

}  // namespace claudegpt
