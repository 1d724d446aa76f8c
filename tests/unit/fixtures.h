// Access to the recorded traffic in ../shared/fixtures/ (read-only, never edited).
#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace claudegpt::test {

// Path of a file under the fixtures directory, e.g. "claude-code-requests/cc2.1.330-first-turn.json".
std::string fixture_path(const std::string& relative);

std::string read_fixture(const std::string& relative);

// The fixture parsed as one JSON object.
boost::json::object read_json_fixture(const std::string& relative);

// File names (not paths) in a fixture folder, sorted, optionally filtered by suffix.
std::vector<std::string> list_fixtures(const std::string& folder, const std::string& suffix = "");

// A `*.chunks.txt` recording: one event JSON per line.
std::vector<boost::json::object> read_chunks(const std::string& relative);

}  // namespace claudegpt::test
