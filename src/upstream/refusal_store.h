// What upstreams refused (refused_option.h), kept across runs: a later run on the same
// backend and model leaves the field out from its first request instead of paying a failed
// one. One small JSON file in the state dir, <state dir>/refusals.json, 0600, written
// atomically; `claudegpt doctor` lists it and `claudegpt doctor --reset-capabilities`
// removes it (the service may have changed: a verified organisation, a new model version).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/refused_option.h"

namespace claudegpt {

struct StoredRefusal {
  std::string provider;  // openai | azure | codex
  std::string endpoint;  // the Responses URL (no secrets)
  std::string model;     // as sent upstream (the Azure deployment)
  RefusedOption refusal;
  std::string since;     // when it was first refused, UTC ("2026-12-07T04:50:00Z")
};

class RefusalStore {
 public:
  // `file` empty: nothing is kept (no state dir).
  explicit RefusalStore(std::filesystem::path file) : file_(std::move(file)) {}

  const std::filesystem::path& file() const { return file_; }

  // Every refusal kept, for any backend. A missing file is none; an unreadable or malformed
  // one is none too (it is rewritten whole by the next add()).
  std::vector<StoredRefusal> load() const;

  // Adds `refusal` (once) to the file: read, merged, written back. Blocking file I/O: not on
  // the I/O thread. Errors are logged, not thrown: forgetting costs one failed request later.
  void add(const StoredRefusal& refusal) const;

  // Removes the file; how many refusals it held.
  std::size_t clear() const;

 private:
  std::filesystem::path file_;
};

}  // namespace claudegpt
