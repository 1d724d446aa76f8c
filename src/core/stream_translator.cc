#include "core/stream_translator.h"
#include "core/json_depth.h"
#include "core/json_fields.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <utility>

#include <boost/json.hpp>

#include "core/finite_numbers.h"
#include "core/fnv1a.h"
#include "core/reasoning_signature.h"
#include "core/token_counter.h"

namespace claudegpt {

namespace {

namespace json = boost::json;

// A function call's arguments are buffered until complete (over many deltas, each under the
// reader's per-event bound); beyond this the upstream is
// misbehaving and the turn fails rather than exhausting memory.
constexpr std::size_t kMaxArgumentsBytes = 64 * 1024 * 1024;

// Reasoning text and summary parts of one item are told apart by their part key.
constexpr std::int64_t kReasoningTextPart = std::int64_t{1} << 40;

// Keys for items that only the final response shows, clear of any real output_index.
constexpr std::int64_t kUnseenItems = std::int64_t{1} << 40;

// awaiting: the upstream response is over, the proxy is performing the WebFetch calls.
enum class Phase { waiting, streaming, awaiting, done, failed };
enum class BlockKind { text, thinking };

// No index or token figure in a Responses event comes near 2^50: clamping there keeps the
// arithmetic on them (part offsets, sums over a chained turn) from overflowing.
constexpr std::int64_t kLargestFigure = std::int64_t{1} << 50;

std::int64_t int_of(const json::object& object, std::string_view key, std::int64_t fallback) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr) return fallback;
  if (value->is_int64()) return std::clamp(value->get_int64(), -kLargestFigure, kLargestFigure);
  if (value->is_uint64())
    return static_cast<std::int64_t>(
        std::min(value->get_uint64(), static_cast<std::uint64_t>(kLargestFigure)));
  if (value->is_double()) {
    const double d = value->get_double();  // finite (see finite_numbers.h)
    constexpr auto largest = static_cast<double>(kLargestFigure);
    return static_cast<std::int64_t>(std::clamp(d, -largest, largest));
  }
  return fallback;
}

// A token count: never negative.
std::int64_t count_of(const json::object& object, std::string_view key, std::int64_t fallback) {
  return std::max<std::int64_t>(int_of(object, key, fallback), 0);
}

// The text sent for one content part, by size and hash: the done event's full text is checked
// against it without keeping a second copy of an answer that may be megabytes long.
struct ShownText {
  std::size_t size = 0;
  std::uint64_t hash = kFnv1a64Start;

  void add(std::string_view piece) {
    size += piece.size();
    hash = fnv1a64(piece, hash);
  }
  bool is_prefix_of(std::string_view full) const {
    return full.size() >= size && fnv1a64(full.substr(0, size)) == hash;
  }
};

// What is known of one upstream output item, by output_index.
struct Item {
  std::string type;  // "message", "reasoning", "function_call", ...
  std::string id;
  std::string call_id;
  std::string name;
  std::string arguments;        // function_call: the argument deltas so far
  bool done = false;            // output_item.done (or its stand-in) handled
  bool emitted = false;         // function_call: its tool_use block was sent
  bool thinking_shown = false;  // reasoning: some thinking text was sent
  std::int64_t last_part = -1;  // reasoning: the part the last thinking text belonged to
  std::map<std::int64_t, ShownText> text_shown;  // message: content_index → text sent
};

// A hosted web search, held until the answer's citations can title its sources.
struct Search {
  std::string id;            // of the server_tool_use block
  std::string input;         // its input, serialised
  std::vector<SearchSource> sources;
  bool over_limit = false;   // past the client's max_uses
};

// The text of one message part, held while citations may still come for it.
struct HeldText {
  std::string text;
  std::vector<UrlCitation> citations;
};

struct OpenBlock {
  int index;
  BlockKind kind;
  std::int64_t output_index;
  std::int64_t content_index;  // text blocks only
};

}  // namespace

struct StreamTranslator::State {
  explicit State(StreamSetup s) : setup(std::move(s)) {}

  StreamSetup setup;
  Phase phase = Phase::waiting;
  bool started = false;  // message_start was emitted
  int next_index = 0;
  std::optional<OpenBlock> open;
  std::map<std::int64_t, Item> items;
  bool tool_used = false;
  bool refused = false;
  std::optional<ApiError> error;

  // Server-side tools.
  bool searched = false;  // this upstream response searched: its text is held (see header)
  std::vector<Search> held_searches;
  std::map<std::pair<std::int64_t, std::int64_t>, HeldText> held_text;  // (output, content index)
  int web_searches = 0;
  int web_fetches = 0;
  std::vector<PendingFetch> pending;
  std::set<std::string> announced;  // pending fetches whose server_tool_use was sent

  // Usage summed over the turn's upstream responses (several when continued after fetches).
  std::int64_t input_total = 0, cached_total = 0, written_total = 0, output_total = 0,
               reasoning_total = 0;
  bool reasoning_reported = false;  // an upstream usage had output_tokens_details

  // The client's max_tokens (setup.max_tokens): the visible text sent so far, in o200k
  // tokens, and whether some was held back (then nothing more is shown, stop_reason max_tokens).
  std::int64_t visible_tokens = 0;
  bool cut = false;
  std::string stop_reason_sent;
  int responses = 0;

  // ---- emitting

  static void emit(AnthropicEvents& out, std::string_view type, json::object data) {
    out.push_back(AnthropicEvent{std::string(type), std::move(data)});
  }

  static json::object event_object(std::string_view type) {
    json::object data;
    data["type"] = type;
    return data;
  }

  void ensure_started(AnthropicEvents& out) {
    if (phase != Phase::waiting) return;
    phase = Phase::streaming;
    started = true;
    json::object data = event_object("message_start");
    json::object& message = data["message"].emplace_object();
    message["id"] = setup.message_id;
    message["type"] = "message";
    message["role"] = "assistant";
    message["model"] = setup.client_model;
    message["content"].emplace_array();
    message["stop_reason"] = nullptr;
    message["stop_sequence"] = nullptr;
    message["usage"] = usage_object(setup.error_context.estimated_input_tokens, 0, 0, 0);
    emit(out, "message_start", std::move(data));
  }

  // `input` is all of it, `cached` (read) and `written` (to the cache) included, as the
  // Responses API counts; Anthropic counts the three apart. Input figures are scaled by
  // error_context.input_token_scale (see ErrorContext).
  json::object usage_object(std::int64_t input, std::int64_t cached, std::int64_t written,
                            std::int64_t output) const {
    const double scale = setup.error_context.input_token_scale;
    auto scaled = [scale](std::int64_t n) { return static_cast<std::int64_t>(std::llround(n * scale)); };
    json::object usage;
    usage["input_tokens"] = scaled(std::max<std::int64_t>(input - cached - written, 0));
    usage["cache_creation_input_tokens"] = scaled(written);
    usage["cache_read_input_tokens"] = scaled(cached);
    usage["output_tokens"] = output;
    return usage;
  }

  int start_block(AnthropicEvents& out, json::object content_block) {
    ensure_started(out);
    close_block(out);
    json::object data = event_object("content_block_start");
    const int index = next_index++;
    data["index"] = index;
    data["content_block"] = std::move(content_block);
    emit(out, "content_block_start", std::move(data));
    return index;
  }

  void delta(AnthropicEvents& out, int index, json::object delta_object) {
    json::object data = event_object("content_block_delta");
    data["index"] = index;
    data["delta"] = std::move(delta_object);
    emit(out, "content_block_delta", std::move(data));
  }

  static json::object delta_object(std::string_view type, std::string_view key,
                                   std::string_view value) {
    json::object d;
    d["type"] = type;
    d[key] = value;
    return d;
  }

  void stop_block(AnthropicEvents& out, int index) {
    json::object data = event_object("content_block_stop");
    data["index"] = index;
    emit(out, "content_block_stop", std::move(data));
  }

  void close_block(AnthropicEvents& out) {
    if (!open) return;
    stop_block(out, open->index);
    open.reset();
  }

  bool is_open(BlockKind kind, std::int64_t output_index, std::int64_t content_index = 0) const {
    return open && open->kind == kind && open->output_index == output_index &&
           (kind == BlockKind::thinking || open->content_index == content_index);
  }

  // ---- text

  // The start of `piece` that fits in the client's max_tokens, counted as count_tokens counts
  // (o200k, delta by delta: the upstream sends about a token a delta). The upstream was given
  // room to reason above max_tokens, which its text may use too: that part is not the client's.
  std::string_view within_max_tokens(std::string_view piece) {
    if (cut) return {};
    if (setup.max_tokens <= 0 || piece.empty()) return piece;
    const TokenCounter& counter = TokenCounter::o200k();
    const auto tokens = [&](std::string_view t) { return static_cast<std::int64_t>(counter.count(t)); };
    if (const std::int64_t n = tokens(piece); visible_tokens + n <= setup.max_tokens) {
      visible_tokens += n;
      return piece;
    }
    cut = true;
    // The longest prefix that fits, cut between code points.
    std::vector<std::size_t> ends;
    for (std::size_t i = 1; i < piece.size(); ++i)
      if ((static_cast<unsigned char>(piece[i]) & 0xC0) != 0x80) ends.push_back(i);
    std::size_t fits = 0;  // ends[0, fits) fit
    for (std::size_t low = 0, high = ends.size(); low < high;) {
      const std::size_t mid = low + (high - low) / 2;
      if (visible_tokens + tokens(piece.substr(0, ends[mid])) <= setup.max_tokens) {
        fits = mid + 1;
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    if (fits == 0) return {};
    std::string_view prefix = piece.substr(0, ends[fits - 1]);
    visible_tokens += tokens(prefix);
    return prefix;
  }

  void text(AnthropicEvents& out, std::int64_t output_index, std::int64_t content_index,
            std::string_view piece) {
    piece = within_max_tokens(piece);
    if (piece.empty()) return;
    if (searched) {
      held_text[{output_index, content_index}].text.append(piece);
      items[output_index].text_shown[content_index].add(piece);
      return;
    }
    if (!is_open(BlockKind::text, output_index, content_index)) {
      json::object block;
      block["type"] = "text";
      block["text"] = "";
      int index = start_block(out, std::move(block));
      open = OpenBlock{index, BlockKind::text, output_index, content_index};
    }
    delta(out, open->index, delta_object("text_delta", "text", piece));
    items[output_index].text_shown[content_index].add(piece);
  }

  // The whole text of a part, as its done events carry it. Normally the deltas have shown
  // it all; an upstream that skipped deltas (or some of the last ones) gets the rest sent.
  void text_final(AnthropicEvents& out, std::int64_t output_index, std::int64_t content_index,
                  std::string_view full, bool refusal) {
    if (refusal && !full.empty()) refused = true;
    const ShownText& shown = items[output_index].text_shown[content_index];
    if (full.size() > shown.size && shown.is_prefix_of(full)) {
      const std::string rest(full.substr(shown.size));
      text(out, output_index, content_index, rest);
    }
  }

  void close_text(AnthropicEvents& out, std::int64_t output_index, std::int64_t content_index) {
    release_text(out, output_index, content_index);
    if (is_open(BlockKind::text, output_index, content_index)) close_block(out);
  }

  // ---- web search

  void search_done(std::int64_t output_index, const json::object& item_json) {
    if (cut) return;
    Item& item = items[output_index];
    Search search;
    search.id = server_tool_id(item.id.empty() ? "ws_" + std::to_string(output_index) : item.id);
    json::object input;
    if (const json::object* action = object_field(item_json, "action")) {
      std::string_view type = string_field(*action, "type");
      std::string_view url = string_field(*action, "url");
      if (type == "search" || type.empty()) {
        input["query"] = string_field(*action, "query");
      } else if (type == "find_in_page") {
        input["query"] = "\"" + std::string(string_field(*action, "pattern")) + "\" in " + std::string(url);
      } else {
        input["query"] = url;  // open_page: the page it read
      }
      if (const json::value* sources = action->if_contains("sources"); sources && sources->is_array())
        for (const json::value& source : sources->get_array())
          if (source.is_object())
            if (std::string_view source_url = string_field(source.get_object(), "url"); !source_url.empty())
              search.sources.push_back({without_openai_tracking(source_url), {}});
      if (!url.empty() && search.sources.empty()) search.sources.push_back({std::string(url), {}});
    }
    search.input = json::serialize(input);
    ++web_searches;
    search.over_limit = setup.max_web_searches > 0 && web_searches > setup.max_web_searches;
    held_searches.push_back(std::move(search));
    searched = true;
  }

  // Sends the held searches, titling their sources from `cited` (the answer's citations)
  // and listing cited pages no search named under the last search.
  void release_searches(AnthropicEvents& out, const std::vector<UrlCitation>& cited = {}) {
    if (held_searches.empty()) return;
    for (const UrlCitation& citation : cited) {
      std::string url = without_openai_tracking(citation.url);
      bool listed = false;
      for (Search& search : held_searches)
        for (SearchSource& source : search.sources)
          if (source.url == url) {
            listed = true;
            if (source.title.empty()) source.title = citation.title;
          }
      Search* last = nullptr;
      for (Search& search : held_searches)
        if (!search.over_limit) last = &search;
      if (!listed && last) last->sources.push_back({url, citation.title});
    }
    for (const Search& search : held_searches) {
      const int index = start_block(out, server_tool_use_block(search.id, "web_search"));
      delta(out, index, delta_object("input_json_delta", "partial_json", search.input));
      stop_block(out, index);
      stop_block(out, start_block(out, search.over_limit
                                            ? web_search_error_block(search.id, "max_uses_exceeded")
                                            : web_search_result_block(search.id, search.sources)));
    }
    held_searches.clear();
  }

  // Sends a held part: the searches first, then its text split at its citations.
  void release_text(AnthropicEvents& out, std::int64_t output_index, std::int64_t content_index) {
    auto held = held_text.find({output_index, content_index});
    if (held == held_text.end()) return;
    HeldText part = std::move(held->second);
    held_text.erase(held);
    release_searches(out, part.citations);
    for (CitedText& piece : split_cited_text(part.text, std::move(part.citations))) {
      json::object block;
      if (!piece.citations.empty()) block["citations"].emplace_array();
      block["type"] = "text";
      block["text"] = "";
      const int index = start_block(out, std::move(block));
      for (json::object& citation : piece.citations) {
        json::object d;
        d["type"] = "citations_delta";
        d["citation"] = std::move(citation);
        delta(out, index, std::move(d));
      }
      delta(out, index, delta_object("text_delta", "text", piece.text));
      stop_block(out, index);
    }
  }

  // Everything still held, in order (the response ends, or a tool call comes next).
  void release_all(AnthropicEvents& out) {
    while (!held_text.empty()) {
      auto [output_index, content_index] = held_text.begin()->first;
      release_text(out, output_index, content_index);
    }
    release_searches(out);
  }

  void note_citation(std::int64_t output_index, std::int64_t content_index, const json::object& annotation) {
    if (string_field(annotation, "type") != "url_citation") return;
    auto held = held_text.find({output_index, content_index});
    if (held == held_text.end()) return;
    held->second.citations.push_back(UrlCitation{
        static_cast<std::size_t>(std::max<std::int64_t>(int_of(annotation, "start_index", 0), 0)),
        static_cast<std::size_t>(std::max<std::int64_t>(int_of(annotation, "end_index", 0), 0)),
        std::string(string_field(annotation, "url")), std::string(string_field(annotation, "title"))});
  }

  // ---- thinking

  void open_thinking(AnthropicEvents& out, std::int64_t output_index) {
    if (is_open(BlockKind::thinking, output_index)) return;
    json::object block;
    block["type"] = "thinking";
    block["thinking"] = "";
    block["signature"] = "";
    int index = start_block(out, std::move(block));
    open = OpenBlock{index, BlockKind::thinking, output_index, 0};
  }

  void thinking(AnthropicEvents& out, std::int64_t output_index, std::int64_t part,
                std::string_view piece) {
    if (piece.empty() || cut) return;
    open_thinking(out, output_index);
    Item& item = items[output_index];
    if (item.thinking_shown && part != item.last_part)
      delta(out, open->index, delta_object("thinking_delta", "thinking", "\n\n"));
    item.last_part = part;
    item.thinking_shown = true;
    delta(out, open->index, delta_object("thinking_delta", "thinking", piece));
  }

  void reasoning_done(AnthropicEvents& out, std::int64_t output_index, const json::object& done) {
    if (cut) return;
    Item& item = items[output_index];
    if (!item.thinking_shown) {  // no deltas came: show the summary from the item itself
      if (const json::value* summary = done.if_contains("summary");
          summary && summary->is_array()) {
        std::int64_t part = 0;
        for (const json::value& entry : summary->get_array()) {
          if (entry.is_object())
            thinking(out, output_index, part, string_field(entry.get_object(), "text"));
          ++part;
        }
      }
    }
    std::string_view encrypted = string_field(done, "encrypted_content");
    if (!encrypted.empty()) {
      open_thinking(out, output_index);
      delta(out, open->index,
            delta_object("signature_delta", "signature", wrap_reasoning_signature(setup.upstream_model, encrypted)));
    }
    if (is_open(BlockKind::thinking, output_index)) close_block(out);
  }

  // ---- tool calls

  void emit_tool_call(AnthropicEvents& out, std::int64_t output_index, std::string_view arguments) {
    Item& item = items[output_index];
    if (item.emitted) return;
    item.emitted = true;
    if (cut) return;  // past the client's max_tokens: the message ended before this call
    if (item.name.empty()) {
      // A tool_use named "" could be neither run nor sent back: the session would be stuck.
      fail(out, ApiError::with_status(502, "The upstream sent a function call without a name"));
      return;
    }

    json::object input;
    boost::system::error_code ec;
    json::value parsed = json::parse(arguments, ec, {}, deep_json());
    if (!ec && parsed.is_object()) input = std::move(parsed.get_object());
    clamp_infinite_numbers(input);

    std::string name = item.name;
    if (setup.tools != nullptr) {
      name = setup.tools->client_name(item.name);
      input = setup.tools->clean_arguments(name, std::move(input));
    }
    std::string id = !item.call_id.empty() ? item.call_id
                     : !item.id.empty()    ? item.id
                                           : "call_" + std::to_string(output_index);
    release_all(out);

    if (name == "WebFetch" && setup.fetches_left > 0) {  // the proxy's to perform
      --setup.fetches_left;
      // Its server_tool_use block goes out when the fetch starts, right before its result.
      pending.push_back({server_tool_id(id), std::string(string_field(input, "url")),
                         std::string(string_field(input, "prompt")), json::serialize(input)});
      std::string().swap(item.arguments);
      return;
    }

    json::object block;
    block["type"] = "tool_use";
    block["id"] = id;
    block["name"] = name;
    block["input"].emplace_object();
    const int index = start_block(out, std::move(block));
    delta(out, index, delta_object("input_json_delta", "partial_json", json::serialize(input)));
    stop_block(out, index);
    tool_used = true;
    std::string().swap(item.arguments);
  }

  // ---- items

  Item& remember(std::int64_t output_index, const json::object& item_json) {
    Item& item = items[output_index];
    if (std::string_view type = string_field(item_json, "type"); !type.empty()) item.type = type;
    if (std::string_view id = string_field(item_json, "id"); !id.empty()) item.id = id;
    if (std::string_view call_id = string_field(item_json, "call_id"); !call_id.empty())
      item.call_id = call_id;
    if (std::string_view name = string_field(item_json, "name"); !name.empty()) item.name = name;
    return item;
  }

  void item_done(AnthropicEvents& out, std::int64_t output_index, const json::object& item_json) {
    Item& item = remember(output_index, item_json);
    if (item.done) return;
    item.done = true;
    if (item.type == "message") {
      if (const json::value* content = item_json.if_contains("content");
          content && content->is_array()) {
        std::int64_t content_index = 0;
        for (const json::value& part : content->get_array()) {
          if (part.is_object()) {
            part_done(out, output_index, content_index, part.get_object());
            release_text(out, output_index, content_index);
          }
          ++content_index;
        }
      }
      if (open && open->kind == BlockKind::text && open->output_index == output_index)
        close_block(out);
      item.text_shown.clear();  // done: no more text comes for it
    } else if (item.type == "reasoning") {
      reasoning_done(out, output_index, item_json);
    } else if (item.type == "web_search_call") {
      search_done(output_index, item_json);
    } else if (item.type == "function_call") {
      std::string_view status = string_field(item_json, "status");
      if (status == "incomplete" || status == "in_progress") return;  // cut off: not callable
      const json::value* arguments = item_json.if_contains("arguments");
      if (arguments && arguments->is_string() && !arguments->get_string().empty())
        emit_tool_call(out, output_index, arguments->get_string());
      else
        emit_tool_call(out, output_index, item.arguments);
    }
  }

  void part_done(AnthropicEvents& out, std::int64_t output_index, std::int64_t content_index,
                 const json::object& part) {
    std::string_view type = string_field(part, "type");
    if (type == "output_text") {
      text_final(out, output_index, content_index, string_field(part, "text"), false);
      const json::value* annotations = part.if_contains("annotations");
      auto held = held_text.find({output_index, content_index});
      if (annotations && annotations->is_array() && held != held_text.end()) {
        held->second.citations.clear();  // the complete list: what came one by one is in it
        for (const json::value& annotation : annotations->get_array())
          if (annotation.is_object()) note_citation(output_index, content_index, annotation.get_object());
      }
    }
    if (type == "refusal")
      text_final(out, output_index, content_index, string_field(part, "refusal"), true);
  }

  // ---- the end

  void finish(AnthropicEvents& out, const json::object& response, std::string_view stop_reason) {
    // Items the stream never completed but the final response carries (an upstream that
    // skipped an output_item.done, or sends only the final response). Matched by item id:
    // positions in `output` need not be the stream's output_index.
    if (const json::value* output = response.if_contains("output"); output && output->is_array()) {
      std::int64_t position = 0;
      for (const json::value& item : output->get_array()) {
        if (item.is_object())
          item_done(out, key_of(item.get_object(), position), item.get_object());
        ++position;
      }
    }
    if (phase == Phase::failed) return;  // an item of it failed the turn
    ensure_started(out);
    release_all(out);
    close_block(out);

    // The first response's input falls back on the estimate when the upstream sent no usage.
    std::int64_t input = responses++ == 0 ? setup.error_context.estimated_input_tokens : 0;
    std::int64_t cached = 0;
    std::int64_t written = 0;
    std::int64_t output_tokens = 0;
    if (const json::object* usage = object_field(response, "usage")) {
      input = count_of(*usage, "input_tokens", input);
      output_tokens = count_of(*usage, "output_tokens", 0);
      if (const json::object* details = object_field(*usage, "input_tokens_details")) {
        cached = count_of(*details, "cached_tokens", 0);
        written = count_of(*details, "cache_write_tokens", 0);
      }
      if (const json::object* details = object_field(*usage, "output_tokens_details")) {
        reasoning_total += count_of(*details, "reasoning_tokens", 0);
        reasoning_reported = true;
      }
    }
    input_total += input;
    // Parts of the input: what does not fit in it (a malformed usage) is not counted.
    cached = std::clamp<std::int64_t>(cached, 0, input);
    cached_total += cached;
    written_total += std::clamp<std::int64_t>(written, 0, input - cached);
    output_total += output_tokens;
    items.clear();
    if (cut) stop_reason = "max_tokens";  // the visible text reached the client's max_tokens
    if (!pending.empty() && stop_reason == natural_stop_reason()) {
      phase = Phase::awaiting;  // the caller performs the fetches, then resume_after_fetches()
      return;
    }
    end_message(out, stop_reason);
  }

  void end_message(AnthropicEvents& out, std::string_view stop_reason) {
    json::object data = event_object("message_delta");
    json::object& delta_json = data["delta"].emplace_object();
    delta_json["stop_reason"] = stop_reason;
    delta_json["stop_sequence"] = nullptr;
    stop_reason_sent = stop_reason;
    json::object usage = usage_object(input_total, cached_total, written_total, output_total);
    // Anthropic's count of the output spent thinking (beta thinking-token-count-2026-05-13,
    // which Claude Code shows): the upstream's reasoning tokens, never more than the output.
    if (reasoning_reported)
      usage["output_tokens_details"] =
          json::object{{"thinking_tokens", std::min(reasoning_total, output_total)}};
    if (web_searches > 0 || web_fetches > 0) {
      json::object& server = usage["server_tool_use"].emplace_object();
      server["web_search_requests"] = web_searches;
      server["web_fetch_requests"] = web_fetches;
    }
    data["usage"] = std::move(usage);
    emit(out, "message_delta", std::move(data));
    emit(out, "message_stop", event_object("message_stop"));
    phase = Phase::done;
    pending.clear();
  }

  // The output_index under which an item of the final response was seen in the stream; a
  // fresh key for an item the stream never showed.
  std::int64_t key_of(const json::object& item_json, std::int64_t position) const {
    std::string_view id = string_field(item_json, "id");
    for (const auto& [key, item] : items)
      if (!id.empty() && item.id == id) return key;
    return kUnseenItems + position;
  }

  std::string_view natural_stop_reason() const {
    if (tool_used) return "tool_use";
    if (refused) return "refusal";
    return "end_turn";
  }

  void fail(AnthropicEvents& out, ApiError failure) {
    if (phase == Phase::done || phase == Phase::failed) return;
    if (phase == Phase::streaming || phase == Phase::awaiting) emit(out, "error", failure.to_json(""));
    error = std::move(failure);
    phase = Phase::failed;
    items.clear();
    open.reset();
    pending.clear();
    held_text.clear();
    held_searches.clear();
  }

  // ---- dispatch

  std::int64_t output_index_of(const json::object& event) const {
    std::int64_t index = int_of(event, "output_index", -1);
    if (index >= 0) return index;
    std::string_view item_id = string_field(event, "item_id");
    for (const auto& [key, item] : items)
      if (!item_id.empty() && item.id == item_id) return key;
    return -1;
  }

  void on_event(const ResponsesEvent& event, AnthropicEvents& out) {
    if (phase != Phase::waiting && phase != Phase::streaming) return;
    const json::object& data = event.data;
    const std::string_view type = event.type;

    if (type == "response.output_text.delta" || type == "response.refusal.delta") {
      if (type == "response.refusal.delta") refused = true;
      text(out, output_index_of(data), int_of(data, "content_index", 0), string_field(data, "delta"));
    } else if (type == "response.reasoning_summary_text.delta") {
      thinking(out, output_index_of(data), int_of(data, "summary_index", 0),
               string_field(data, "delta"));
    } else if (type == "response.reasoning_text.delta") {
      thinking(out, output_index_of(data), kReasoningTextPart + int_of(data, "content_index", 0),
               string_field(data, "delta"));
    } else if (type == "response.function_call_arguments.delta") {
      Item& item = items[output_index_of(data)];
      std::string_view piece = string_field(data, "delta");
      if (item.arguments.size() + piece.size() > kMaxArgumentsBytes) {
        fail(out, ApiError::with_status(502, "upstream function call arguments are too large"));
        return;
      }
      item.arguments.append(piece);
    } else if (type == "response.function_call_arguments.done") {
      const std::int64_t output_index = output_index_of(data);
      Item& item = items[output_index];
      if (item.type.empty()) item.type = "function_call";
      if (std::string_view name = string_field(data, "name"); !name.empty() && item.name.empty())
        item.name = name;
      if (std::string_view arguments = string_field(data, "arguments"); !arguments.empty())
        item.arguments = arguments;
      // Without a name (no output_item.added seen) the call waits for its output_item.done.
      if (!item.name.empty()) emit_tool_call(out, output_index, item.arguments);
    } else if (type == "response.output_text.done") {
      text_final(out, output_index_of(data), int_of(data, "content_index", 0),
                 string_field(data, "text"), false);
    } else if (type == "response.refusal.done") {
      text_final(out, output_index_of(data), int_of(data, "content_index", 0),
                 string_field(data, "refusal"), true);
    } else if (type == "response.content_part.done") {
      const std::int64_t output_index = output_index_of(data);
      const std::int64_t content_index = int_of(data, "content_index", 0);
      if (const json::object* part = object_field(data, "part"))
        part_done(out, output_index, content_index, *part);
      close_text(out, output_index, content_index);
    } else if (type == "response.output_text.annotation.added") {
      if (const json::object* annotation = object_field(data, "annotation"))
        note_citation(output_index_of(data), int_of(data, "content_index", 0), *annotation);
    } else if (type == "response.output_item.added") {
      if (const json::object* item = object_field(data, "item"))
        remember(int_of(data, "output_index", -1), *item);
    } else if (type == "response.output_item.done") {
      if (const json::object* item = object_field(data, "item"))
        item_done(out, int_of(data, "output_index", -1), *item);
    } else if (type == "response.completed") {
      const json::object* response = object_field(data, "response");
      finish(out, response ? *response : json::object(), natural_stop_reason());
    } else if (type == "response.incomplete") {
      const json::object* response = object_field(data, "response");
      std::string_view reason;
      if (response)
        if (const json::object* details = object_field(*response, "incomplete_details"))
          reason = string_field(*details, "reason");
      std::string_view stop_reason = reason == "max_output_tokens" ? "max_tokens"
                                     : reason == "content_filter"  ? "refusal"
                                                                   : natural_stop_reason();
      finish(out, response ? *response : json::object(), stop_reason);
    } else if (type == "response.failed" || type == "error") {
      fail(out, map_upstream_stream_error(data, setup.error_context));
    }
    // Everything else (response.created/in_progress, content_part.added, summary parts,
    // annotations, web search progress, unknown events) shows nothing by itself.
  }
};

StreamTranslator::StreamTranslator(StreamSetup setup)
    : state_(std::make_unique<State>(std::move(setup))) {}
StreamTranslator::~StreamTranslator() = default;
StreamTranslator::StreamTranslator(StreamTranslator&&) noexcept = default;
StreamTranslator& StreamTranslator::operator=(StreamTranslator&&) noexcept = default;

void StreamTranslator::on_event(const ResponsesEvent& event, AnthropicEvents& out) {
  state_->on_event(event, out);
}

void StreamTranslator::on_upstream_end(AnthropicEvents& out) {
  state_->fail(out,
               ApiError::with_status(502, "upstream stream ended before the response completed"));
}

void StreamTranslator::fail(ApiError error, AnthropicEvents& out) {
  state_->fail(out, std::move(error));
}

void StreamTranslator::start(AnthropicEvents& out) {
  if (state_->phase == Phase::waiting) state_->ensure_started(out);
}

bool StreamTranslator::awaiting_fetches() const { return state_->phase == Phase::awaiting; }

const std::vector<PendingFetch>& StreamTranslator::pending_fetches() const { return state_->pending; }

void StreamTranslator::fetch_started(const PendingFetch& fetch, AnthropicEvents& out) {
  State& s = *state_;
  if (s.phase != Phase::awaiting || s.announced.contains(fetch.tool_use_id)) return;
  s.announced.insert(fetch.tool_use_id);
  ++s.web_fetches;  // counted when performed: a call a cut-off response drops never runs
  const int index = s.start_block(out, server_tool_use_block(fetch.tool_use_id, "web_fetch"));
  s.delta(out, index, State::delta_object("input_json_delta", "partial_json", fetch.input));
  s.stop_block(out, index);
}

void StreamTranslator::fetch_result(const FetchOutcome& outcome, AnthropicEvents& out) {
  State& s = *state_;
  if (s.phase != Phase::awaiting) return;
  for (const PendingFetch& fetch : s.pending)
    if (fetch.tool_use_id == outcome.tool_use_id) fetch_started(fetch, out);
  s.stop_block(out, s.start_block(out, web_fetch_result_block(outcome)));
}

bool StreamTranslator::resume_after_fetches(AnthropicEvents& out) {
  State& s = *state_;
  if (s.phase != Phase::awaiting) return false;
  s.pending.clear();
  s.announced.clear();
  if (s.tool_used) {  // the client has calls to run: the turn ends here, fetch results in it
    s.end_message(out, "tool_use");
    return false;
  }
  s.phase = Phase::streaming;  // the next upstream response continues this message
  s.searched = false;
  return true;
}

TurnUsage StreamTranslator::usage() const {
  const State& s = *state_;
  return {s.input_total, s.cached_total, s.written_total, s.output_total, s.reasoning_total,
          s.web_searches, s.web_fetches, s.responses, s.stop_reason_sent};
}

bool StreamTranslator::started() const { return state_->started; }

bool StreamTranslator::finished() const {
  return state_->phase == Phase::done || state_->phase == Phase::failed;
}

const std::optional<ApiError>& StreamTranslator::error() const { return state_->error; }

}  // namespace claudegpt
