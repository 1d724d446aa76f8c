#include "support/random_id.h"

#include <random>

namespace claudegpt {

namespace {
std::mt19937_64& engine() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine;
}
}  // namespace

long random_below(long bound) {
  if (bound <= 0) return 0;
  return std::uniform_int_distribution<long>(0, bound - 1)(engine());
}

std::string random_id(std::string_view prefix) {
  static constexpr std::string_view kAlphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
  std::string id(prefix);
  for (int i = 0; i < 24; ++i) id.push_back(kAlphabet[pick(engine())]);
  return id;
}

}  // namespace claudegpt
