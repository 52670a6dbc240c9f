// `eventlens decode`: decode files in one format and write each record as a
// native JSON line on stdout, each rejected record as a JSON line on stderr.
#pragma once

#include <string>
#include <vector>

#include "codec/decoder.h"

namespace eventlens::cli {

struct DecodeCommandOptions {
  std::string format = "auto";
  std::vector<std::string> files;
  // RFC 3339; empty means now.
  std::string default_time;
  std::size_t max_record_bytes = std::size_t{1} << 20;
  bool stats = false;
};

// Returns 0 when every record decoded, 1 when some were rejected, 2 on usage
// errors (unknown format, unreadable file).
int run_decode(const DecodeCommandOptions& options);

}  // namespace eventlens::cli
