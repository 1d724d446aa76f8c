#include "ledger/conversation_text.h"

#include <algorithm>
#include <cctype>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include "core/json_fields.h"

namespace claudegpt {

namespace {

namespace json = boost::json;

bool is_continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// How a conversation compacted by /compact starts over (cc2.1.330-after-compact.json): a
// summary Claude Code wrote, not the user's words.
constexpr std::string_view kCompactedConversation =
    "This session is being continued from a previous conversation";

std::string_view trim_left(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  return text;
}

// What is left of `text` once the markup elements at its start are gone ("<name>…</name>",
// "<name attr…>…</name>": how Claude Code wraps what it adds to a user message). An element
// that is not closed takes the rest of the text. A '<' not followed by a name that starts
// with a letter ("<3", "< 5") is the user's.
std::string_view without_leading_markup(std::string_view text) {
  for (;;) {
    text = trim_left(text);
    if (text.size() < 3 || text[0] != '<') return text;
    std::size_t name_end = 1;
    while (name_end < text.size() &&
           (std::isalnum(static_cast<unsigned char>(text[name_end])) || text[name_end] == '-' ||
            text[name_end] == '_'))
      ++name_end;
    if (name_end == 1 || !std::isalpha(static_cast<unsigned char>(text[1])) ||
        name_end == text.size() || (text[name_end] != '>' && text[name_end] != ' '))
      return text;
    const std::string close = "</" + std::string(text.substr(1, name_end - 1)) + ">";
    std::size_t closed = text.find(close, name_end);
    if (closed == std::string_view::npos) return {};
    text.remove_prefix(closed + close.size());
  }
}

// The user's own words in one piece of user content, "" when it has none.
std::string_view own_words(std::string_view text) {
  if (trim_left(text).starts_with(kCompactedConversation)) return {};
  std::string_view words = without_leading_markup(text);
  while (!words.empty() && std::isspace(static_cast<unsigned char>(words.back())))
    words.remove_suffix(1);
  return words;
}

// The user's own texts in `request`, in order (or from the last back): the first that
// `found` accepts ends the search.
template <typename Found>
void find_user_text(const json::object& request, bool from_the_end, Found&& found) {
  const json::value* messages = request.if_contains("messages");
  if (!messages || !messages->is_array()) return;
  const json::array& list = messages->get_array();
  auto in_message = [&](const json::value& message) {
    if (!message.is_object() || string_field(message.get_object(), "role") != "user") return false;
    const json::value* content = message.get_object().if_contains("content");
    if (!content) return false;
    if (content->is_string()) return found(own_words(content->get_string()));
    if (!content->is_array()) return false;
    const json::array& blocks = content->get_array();
    auto in_block = [&](const json::value& block) {
      return block.is_object() && string_field(block.get_object(), "type") == "text" &&
             found(own_words(string_field(block.get_object(), "text")));
    };
    return from_the_end ? std::any_of(blocks.rbegin(), blocks.rend(), in_block)
                        : std::any_of(blocks.begin(), blocks.end(), in_block);
  };
  if (from_the_end)
    (void)std::any_of(list.rbegin(), list.rend(), in_message);
  else
    (void)std::any_of(list.begin(), list.end(), in_message);
}

std::string user_prompt(const json::object& request, bool last) {
  std::string prompt;
  find_user_text(request, last, [&](std::string_view words) {
    prompt = words;
    return !words.empty();
  });
  return prompt;
}

}  // namespace

std::string first_user_prompt(const boost::json::object& request) {
  return user_prompt(request, false);
}

std::string last_user_prompt(const boost::json::object& request) {
  return user_prompt(request, true);
}

std::string text_opening(std::string_view text, std::size_t max_chars) {
  if (max_chars == 0) return {};
  // Collapsed, up to one code point past the limit (enough to know that it is cut).
  std::string out;
  std::size_t chars = 0;
  bool pending_space = false;
  for (std::size_t i = 0; i < text.size() && chars <= max_chars;) {
    auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = byte < 0xC0 ? 1 : byte < 0xE0 ? 2 : byte < 0xF0 ? 3 : 4;
    length = std::min(length, text.size() - i);
    // C0 controls and DEL (white space among them), and C1 controls (U+0080–U+009F, as
    // C2 80–C2 9F): recorded text must not move the cursor or start an escape sequence.
    const bool c1 = byte == 0xC2 && length == 2 && static_cast<unsigned char>(text[i + 1]) < 0xA0;
    const bool control = byte <= ' ' || byte == 0x7F || c1;
    if (control) {
      pending_space = !out.empty();
    } else {
      if (pending_space) {
        out += ' ';
        ++chars;
        pending_space = false;
      }
      out.append(text.substr(i, length));
      ++chars;
    }
    i += length;
  }
  if (chars <= max_chars) return out;
  // Cut to max_chars - 1 code points, then the ellipsis.
  std::size_t at = 0;
  for (std::size_t kept = 0; at < out.size(); ++at) {
    if (!is_continuation_byte(out[at]) && kept++ == max_chars - 1) break;
  }
  out.resize(at);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out + "…";
}

}  // namespace claudegpt
