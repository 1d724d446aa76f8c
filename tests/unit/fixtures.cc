#include "unit/fixtures.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <boost/json/parse.hpp>

namespace claudegpt::test {

std::string fixture_path(const std::string& relative) {
  return std::string(CLAUDEGPT_FIXTURES_DIR) + "/" + relative;
}

std::string read_fixture(const std::string& relative) {
  std::ifstream in(fixture_path(relative), std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + relative);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

boost::json::object read_json_fixture(const std::string& relative) {
  return boost::json::parse(read_fixture(relative)).as_object();
}

std::vector<std::string> list_fixtures(const std::string& folder, const std::string& suffix) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(fixture_path(folder))) {
    std::string name = entry.path().filename().string();
    if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<boost::json::object> read_chunks(const std::string& relative) {
  std::istringstream lines(read_fixture(relative));
  std::vector<boost::json::object> events;
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) events.push_back(boost::json::parse(line).as_object());
  return events;
}

}  // namespace claudegpt::test
