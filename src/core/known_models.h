// What known upstream models refuse, so that the common cases never cost a failed request; the
// adaptive rule (refused_option.h) catches the rest. From ../shared/docs/real-services-2026.md
// §8 and the reports it cites (2026): gpt-5, gpt-5-mini and gpt-5-nano take efforts minimal to
// high only (no none, no xhigh: kaitranntt/ccs #344, rikkahub/rikkahub #856); gpt-5.1 none to
// high (no minimal, no xhigh: anomalyco/opencode #4451); gpt-5.3-codex-spark no reasoning
// summary (openai/codex #31846); gpt-4.1 and gpt-4o no reasoning at all.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/refused_option.h"

namespace claudegpt {

// The refusals `model` is known for (a dated snapshot, "gpt-5-mini-2025-08-07", counts as its
// model); none for models not in the table.
std::vector<RefusedOption> known_refusals(std::string_view model);

// The lowest reasoning effort `model` takes: "none" (gpt-5.1 and later), stepped down past the
// efforts it is known to refuse ("minimal" for gpt-5, -mini, -nano). An unknown model gets
// "none": the adaptive rule steps it down (none → minimal → low) if the upstream refuses it.
std::string lowest_effort(std::string_view model);

// Whether `model` is known to take no reasoning at all (gpt-4.1, gpt-4o).
bool known_not_to_reason(std::string_view model);

// The most `model` may write in one response, its published limit (OpenAI's model pages: the
// GPT-5 family 128,000, o-series 100,000, gpt-4.1 32,768, gpt-4o 16,384); 0 when unknown.
// A larger max_output_tokens is refused with a 400.
std::int64_t output_token_limit(std::string_view model);

}  // namespace claudegpt
