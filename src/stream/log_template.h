// Log templates: a log body with its variable parts masked, so that the same
// message from a thousand requests counts as one ("timeout after # ms calling
// #"). A word with a digit in it (numbers, ids, addresses, durations) becomes
// `#`. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace eventlens::stream {

// Appends the template of `body` to `out`.
void append_log_template(std::string_view body, std::string& out);
// A hash of the template, computed without building it.
std::uint64_t log_template_hash(std::string_view body);

}  // namespace eventlens::stream
