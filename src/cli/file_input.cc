#include "cli/file_input.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace eventlens::cli {

Result<FileBytes> read_file(const std::string& path) {
  std::FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (f == nullptr) return make_error(path, std::strerror(errno));
  FileBytes out;
  constexpr std::size_t kChunk = 1 << 20;
  constexpr std::size_t kPadding = 64;
  for (;;) {
    out.buffer.resize(out.size + kChunk + kPadding);
    const std::size_t n = std::fread(out.buffer.data() + out.size, 1, kChunk, f);
    out.size += n;
    if (n < kChunk) break;
  }
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  if (f != stdin) std::fclose(f);
  if (failed) return make_error(path, std::strerror(err));
  out.buffer.resize(out.size + kPadding);
  return out;
}

}  // namespace eventlens::cli
