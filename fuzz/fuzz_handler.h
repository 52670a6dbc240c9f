// A RecordHandler for fuzz targets: counts what comes out and checks the
// invariants every decoder promises (a rejection always has a reason).
// Single-threaded, like libFuzzer's driver.
#pragma once

#include <cstdlib>
#include <vector>

#include "codec/decoder.h"

namespace eventlens::fuzz {

struct CheckingHandler final : codec::RecordHandler {
  std::vector<Record> records;
  std::size_t rejected = 0;

  void on_record(const Record& r, std::size_t) override { records.push_back(r); }
  void on_reject(Error&& e, std::size_t) override {
    ++rejected;
    if (e.reason.empty()) std::abort();  // Every rejection must say why.
  }
};

}  // namespace eventlens::fuzz
