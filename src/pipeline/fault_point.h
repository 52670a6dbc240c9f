// A named fault point (STYLE.md: faults are first-class). With
// EVENTLENS_FAULT=<name>:<n> in the environment, the process kills itself
// with SIGKILL, as a crash would, the n-th time it passes point <name>:
// tests crash it at moments no outside timing can hit reliably. One thread
// passes a given FaultPoint.
#pragma once

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace eventlens::pipeline {

class FaultPoint {
 public:
  explicit FaultPoint(std::string_view name) {
    const char* spec = std::getenv("EVENTLENS_FAULT");
    if (spec == nullptr) return;
    const std::string_view s(spec);
    if (s.size() <= name.size() + 1 || s.substr(0, name.size()) != name || s[name.size()] != ':') return;
    at_ = std::strtoull(spec + name.size() + 1, nullptr, 10);
  }
  void pass() {
    if (at_ != 0 && ++hits_ == at_) std::raise(SIGKILL);
  }

 private:
  std::uint64_t at_ = 0;
  std::uint64_t hits_ = 0;
};

}  // namespace eventlens::pipeline
