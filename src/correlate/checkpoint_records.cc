#include "correlate/checkpoint_records.h"

#include <string>

namespace eventlens::correlate {

namespace {

template <typename E>
E read_enum(stream::StateReader& in, E max, const char* what) {
  const std::uint8_t v = in.u8();
  if (v > static_cast<std::uint8_t>(max)) in.fail(std::string("corrupt: ") + what + " of value " + std::to_string(v));
  return static_cast<E>(v);
}

}  // namespace

void save_event(stream::StateWriter& out, const Event& e) {
#if defined(__x86_64__) && defined(__GLIBCXX__)
  // A tripwire: a field added to these records changes their size. Whoever
  // adds one writes and reads it here and bumps stream::kStateFormatVersion.
  static_assert(sizeof(Event) == 376 && sizeof(Incident) == 256 && sizeof(Cause) == 176 && sizeof(CauseReason) == 72,
                "Event or Incident changed: update checkpoint_records.cc");
#endif
  out.str(e.id);
  out.i64(e.time);
  out.u8(static_cast<std::uint8_t>(e.category));
  out.str(e.type);
  out.str(e.service);
  out.str(e.namespace_);
  out.str(e.cluster);
  out.str(e.node);
  out.str(e.pod);
  out.u8(static_cast<std::uint8_t>(e.severity));
  out.str(e.message);
  out.count(e.attributes.size());
  for (const auto& [key, value] : e.attributes) {
    out.str(key);
    out.u8(static_cast<std::uint8_t>(value.index()));
    if (const auto* s = std::get_if<std::string>(&value)) out.str(*s);
    if (const auto* i = std::get_if<std::int64_t>(&value)) out.i64(*i);
    if (const auto* d = std::get_if<double>(&value)) out.f64(*d);
    if (const auto* b = std::get_if<bool>(&value)) out.boolean(*b);
  }
  out.str(e.trace_id);
  out.str(e.source);
  out.i64(e.schema_version);
}

void load_event(stream::StateReader& in, Event& e) {
  e.id = in.str();
  e.time = in.i64();
  e.category = read_enum(in, Category::other, "event category");
  e.type = in.str();
  e.service = in.str();
  e.namespace_ = in.str();
  e.cluster = in.str();
  e.node = in.str();
  e.pod = in.str();
  e.severity = read_enum(in, Severity::critical, "event severity");
  e.message = in.str();
  e.attributes.resize(in.count(8 + 1 + 1));
  for (auto& [key, value] : e.attributes) {
    key = in.str();
    switch (in.u8()) {
      case 0: value = in.str(); break;
      case 1: value = in.i64(); break;
      case 2: value = in.f64(); break;
      case 3: value = in.boolean(); break;
      default: in.fail("corrupt: an attribute of unknown type"); break;
    }
    if (!in.ok()) break;
  }
  e.trace_id = in.str();
  e.source = in.str();
  e.schema_version = static_cast<std::int32_t>(in.i64());
}

void save_incident(stream::StateWriter& out, const Incident& inc) {
  out.str(inc.id);
  out.str(inc.service);
  out.str(inc.role);
  out.str(inc.metric);
  out.i64(inc.start);
  out.boolean(inc.end.has_value());
  out.i64(inc.end.value_or(0));
  out.str(inc.severity);
  out.str(inc.summary);
  out.f64(inc.baseline);
  out.f64(inc.peak);
  out.count(inc.causes.size());
  for (const Cause& c : inc.causes) {
    out.i64(c.rank);
    out.str(c.kind);
    out.str(c.service);
    out.str(c.event_id);
    out.str(c.type);
    out.i64(c.time);
    out.f64(c.score);
    out.count(c.reasons.size());
    for (const CauseReason& r : c.reasons) {
      out.str(r.name);
      out.f64(r.value);
      out.str(r.sentence);
    }
  }
}

void load_incident(stream::StateReader& in, Incident& inc) {
  inc.id = in.str();
  inc.service = in.str();
  inc.role = in.str();
  inc.metric = in.str();
  inc.start = in.i64();
  const bool ended = in.boolean();
  const TimeNs end = in.i64();
  inc.end = ended ? std::optional<TimeNs>(end) : std::nullopt;
  inc.severity = in.str();
  inc.summary = in.str();
  inc.baseline = in.f64();
  inc.peak = in.f64();
  inc.causes.resize(in.count(8 * 8));
  for (Cause& c : inc.causes) {
    c.rank = static_cast<int>(in.i64());
    c.kind = in.str();
    c.service = in.str();
    c.event_id = in.str();
    c.type = in.str();
    c.time = in.i64();
    c.score = in.f64();
    c.reasons.resize(in.count(8 + 8 + 8));
    for (CauseReason& r : c.reasons) {
      r.name = in.str();
      r.value = in.f64();
      r.sentence = in.str();
    }
    if (!in.ok()) break;
  }
}

}  // namespace eventlens::correlate
