// Splits a payload into lines for the line-oriented codecs (LF or CRLF; blank
// lines skipped; a last line without a newline counted). Header-only, pure.
#pragma once

#include <cstddef>
#include <string_view>
#include <type_traits>

namespace eventlens::codec::internal {

// Calls fn(line, line_number) for every non-blank line, 1-based numbers,
// without the line end. When fn returns bool, false stops the walk (an
// exposition's `# EOF`).
template <typename Fn>
void for_each_line(std::string_view payload, Fn&& fn) {
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < payload.size()) {
    std::size_t end = payload.find('\n', pos);
    if (end == std::string_view::npos) end = payload.size();
    ++line_no;
    std::string_view line = payload.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = end + 1;
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    if constexpr (std::is_same_v<std::invoke_result_t<Fn&, std::string_view, std::size_t>, bool>) {
      if (!fn(line, line_no)) return;
    } else {
      fn(line, line_no);
    }
  }
}

}  // namespace eventlens::codec::internal
