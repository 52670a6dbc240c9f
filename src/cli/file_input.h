// Reading input files whole, with room for simdjson's padding after the last
// byte so that decoders parse in place. Used by the CLI commands.
#pragma once

#include <string>
#include <string_view>

#include "model/result.h"

namespace eventlens::cli {

// A file's bytes; `view()` is the content, and the string's capacity extends
// at least 64 bytes past it.
struct FileBytes {
  std::string buffer;
  std::size_t size = 0;
  std::string_view view() const { return {buffer.data(), size}; }
};

// Returns the file's content, or an Error naming the path and the OS reason.
Result<FileBytes> read_file(const std::string& path);

}  // namespace eventlens::cli
