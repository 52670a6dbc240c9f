// The event taxonomy: which category each known event type belongs to, and the
// deterministic id of an event that arrived without one. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/records.h"

namespace eventlens {

// Returns the category a known event type belongs to ("scale_up" -> scaling,
// "oom_killed" -> failure, ...), or nullopt for a type eventlens does not know.
// The table is documented in docs/taxonomy.md.
std::optional<Category> category_of_type(std::string_view type);

// Returns a stable id derived from the event's content: the same content gives
// the same id on every machine and run ("ev-" + 32 hex digits of XXH3-128 over
// every field but `id`). Two events that differ in any field get different ids.
std::string derive_event_id(const Event& e);
// As above, written into `out` in place (a reused string keeps its storage).
void derive_event_id(const Event& e, std::string& out);

}  // namespace eventlens
