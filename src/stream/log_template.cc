#include "stream/log_template.h"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <xxhash.h>

namespace eventlens::stream {

namespace {

bool is_word_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
         c == '_' || c == '.' || c == ':' || c == '/';
}

// Calls emit(piece) for each piece of the template, in order.
template <typename Emit>
void for_each_piece(std::string_view body, Emit emit) {
  std::size_t i = 0;
  while (i < body.size()) {
    if (!is_word_char(body[i])) {
      std::size_t j = i;
      while (j < body.size() && !is_word_char(body[j])) ++j;
      emit(body.substr(i, j - i));
      i = j;
      continue;
    }
    std::size_t j = i;
    bool digit = false;
    while (j < body.size() && is_word_char(body[j])) {
      digit |= body[j] >= '0' && body[j] <= '9';
      ++j;
    }
    emit(digit ? std::string_view("#") : body.substr(i, j - i));
    i = j;
  }
}

}  // namespace

void append_log_template(std::string_view body, std::string& out) {
  for_each_piece(body, [&](std::string_view piece) { out.append(piece); });
}

std::uint64_t log_template_hash(std::string_view body) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  for_each_piece(body, [&](std::string_view piece) { XXH3_64bits_update(&state, piece.data(), piece.size()); });
  return XXH3_64bits_digest(&state);
}

}  // namespace eventlens::stream
