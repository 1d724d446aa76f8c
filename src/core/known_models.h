// What known upstream models refuse, so that the common cases never cost a failed request; the
// adaptive rule (refused_option.h) catches the rest. From ../shared/docs/real-services-2026.md
// §8 and the reports it cites (2026): gpt-5, gpt-5-mini and gpt-5-nano take efforts minimal to
// high only (no none, no xhigh: kaitranntt/ccs #344, rikkahub/rikkahub #856); gpt-5.1 none to
// high (no minimal, no xhigh: anomalyco/opencode #4451); gpt-5.3-codex-spark no reasoning
// summary (openai/codex #31846); gpt-4.1 and gpt-4o no reasoning at all.
#pragma once

#include <string_view>
#include <vector>

#include "core/refused_option.h"

namespace claudegpt {

// The refusals `model` is known for (a dated snapshot, "gpt-5-mini-2025-08-07", counts as its
// model); none for models not in the table.
std::vector<RefusedOption> known_refusals(std::string_view model);

}  // namespace claudegpt
