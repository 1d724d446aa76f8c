#include "upstream/refusal_store.h"

#include <algorithm>
#include <exception>

#include <boost/json.hpp>

#include "core/json_fields.h"
#include "support/bounded_file.h"
#include "support/log.h"
#include "support/private_file.h"
#include "support/utc_time.h"

namespace claudegpt {
namespace {

namespace json = boost::json;

bool same(const StoredRefusal& a, const StoredRefusal& b) {
  return a.provider == b.provider && a.endpoint == b.endpoint && a.model == b.model && a.refusal == b.refusal;
}

}  // namespace

std::vector<StoredRefusal> RefusalStore::load() const {
  std::vector<StoredRefusal> out;
  if (file_.empty()) return out;
  BoundedFile read = read_bounded_file(file_.string());
  if (read.status != BoundedFile::Status::read) return out;
  boost::system::error_code ec;
  json::value parsed = json::parse(read.text, ec);
  const json::value* list = !ec && parsed.is_object() ? parsed.get_object().if_contains("refusals") : nullptr;
  if (!list || !list->is_array()) return out;
  for (const json::value& item : list->get_array()) {
    if (!item.is_object()) continue;
    const json::object& o = item.get_object();
    auto text = [&o](std::string_view key) { return std::string(string_field(o, key)); };
    StoredRefusal r{text("provider"), text("endpoint"), text("model"),
                    {text("param"), text("refused_value"), text("replacement")}, text("since")};
    if (!r.refusal.param.empty()) out.push_back(std::move(r));
  }
  return out;
}

void RefusalStore::add(const StoredRefusal& refusal) const {
  if (file_.empty()) return;
  try {
    std::vector<StoredRefusal> all = load();
    if (std::any_of(all.begin(), all.end(), [&](const StoredRefusal& r) { return same(r, refusal); })) return;
    all.push_back(refusal);
    if (all.back().since.empty()) all.back().since = utc_timestamp_now();
    json::array list;
    for (const StoredRefusal& r : all)
      list.push_back({{"provider", r.provider}, {"endpoint", r.endpoint}, {"model", r.model},
                      {"param", r.refusal.param}, {"refused_value", r.refusal.refused_value},
                      {"replacement", r.refusal.replacement}, {"since", r.since}});
    write_private_file(file_, json::serialize(json::object{{"version", 1}, {"refusals", std::move(list)}}) + "\n");
  } catch (const std::exception& error) {
    log_warn("cannot keep what the upstream refuses in ", file_.string(), ": ", error.what());
  }
}

std::size_t RefusalStore::clear() const {
  std::size_t count = load().size();
  std::error_code ec;
  if (!file_.empty()) std::filesystem::remove(file_, ec);
  return count;
}

}  // namespace claudegpt
