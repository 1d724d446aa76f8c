#include "core/web_fetch_requests.h"

#include <boost/json.hpp>

#include "core/json_fields.h"

namespace claudegpt {

namespace json = boost::json;

json::object page_extraction_request(std::string_view model, std::string_view url, std::string_view page,
                                     std::string_view prompt, std::size_t max_chars) {
  std::string instructions =
      "You read one web page for another model and answer its question about the page. Use only "
      "the page's content. Be brief and specific: keep facts, figures, names, code and links that "
      "answer the question; leave out the rest. Quote exact wording only where it matters, and "
      "say so when the page does not answer the question. Answer in at most " +
      std::to_string(max_chars) + " characters.";
  std::string text = "Page: ";
  text.append(url).append("\n---\n").append(page).append("\n---\n\nQuestion: ").append(prompt);

  json::object body;
  body["model"] = model;
  body["instructions"] = instructions;
  json::array& input = body["input"].emplace_array();
  json::object message;
  message["type"] = "message";
  message["role"] = "user";
  json::array& content = message["content"].emplace_array();
  content.push_back(json::object{{"type", "input_text"}, {"text", text}});
  input.emplace_back(std::move(message));
  body["reasoning"] = json::object{{"effort", "low"}};
  body["store"] = false;
  body["stream"] = true;
  return body;
}

json::object continued_request(const json::object& upstream_request, const json::array& assistant_content,
                               const RequestOptions& options,
                               const std::map<std::string, std::string>& outputs) {
  json::object history;
  history["messages"] = json::array{json::object{{"role", "assistant"}, {"content", assistant_content}}};
  TranslatedRequest translated = translate_request(history, options);

  json::object body = upstream_request;
  json::value& input = body["input"];
  if (!input.is_array()) input.emplace_array();
  for (json::value& item : translated.body["input"].as_array()) {
    if (item.is_object() && !outputs.empty() && string_field(item.get_object(), "type") == "function_call_output")
      if (auto replaced = outputs.find(std::string(string_field(item.get_object(), "call_id")));
          replaced != outputs.end())
        item.get_object()["output"] = replaced->second;
    input.get_array().push_back(std::move(item));
  }
  return body;
}

}  // namespace claudegpt
