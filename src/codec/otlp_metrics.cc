// OTLP metrics into Prometheus-named samples; the rules are in
// docs/codecs/otlp.md ("Metrics").
#include <algorithm>
#include <cmath>
#include <cstring>

#include "codec/internal/otlp_read.h"

namespace eventlens::codec::internal::otlp {
namespace {

using Kind = MetricDecoder::Kind;

struct KindName {
  Kind kind;
  std::string_view camel, snake;
};
constexpr KindName kKinds[] = {
    {Kind::gauge, "gauge", ""},
    {Kind::sum, "sum", ""},
    {Kind::histogram, "histogram", ""},
    {Kind::exponential_histogram, "exponentialHistogram", "exponential_histogram"},
    {Kind::summary, "summary", ""},
};

// Returns the index in kKinds of the data member `key` names, or -1.
int kind_index(std::string_view key) {
  for (int i = 0; i < static_cast<int>(std::size(kKinds)); ++i) {
    if (key_is(key, kKinds[i].camel, kKinds[i].snake)) return i;
  }
  return -1;
}

std::string_view kind_name(Kind k) { return kKinds[static_cast<int>(k)].camel; }

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Reads an array of uint64 counts into `out`.
Status read_counts(od::value& v, std::string_view field, std::vector<std::uint64_t>& out, OtlpReader& reader) {
  out.clear();
  od::array arr;
  if (v.get_array().get(arr)) return wrong_type(field, "array", v);
  for (auto element : arr) {
    if (element.error()) return reader.syntax_error(element.error(), indexed(field, out.size()));
    auto n = read_uint64(element.value_unsafe(), {});
    if (!n) return prefixed(indexed(field, out.size()), n.error());
    out.push_back(*n);
  }
  return ok_status();
}

Status read_doubles(od::value& v, std::string_view field, std::vector<double>& out, OtlpReader& reader) {
  out.clear();
  od::array arr;
  if (v.get_array().get(arr)) return wrong_type(field, "array", v);
  for (auto element : arr) {
    if (element.error()) return reader.syntax_error(element.error(), indexed(field, out.size()));
    auto d = read_proto_double(element.value_unsafe(), {});
    if (!d) return prefixed(indexed(field, out.size()), d.error());
    out.push_back(*d);
  }
  return ok_status();
}

// The upper bound of exponential bucket `index`: base^(index), base = 2^(2^-scale).
double exponential_bound(std::int64_t index, std::int64_t scale) {
  return std::exp2(std::ldexp(static_cast<double>(index), static_cast<int>(-scale)));
}

// Label strings are short and compared several times per sample: compared
// inline, in words, rather than through a memcmp call each.
std::uint64_t load8(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
std::uint32_t load4(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
bool same_text(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8) {
      if (load8(p + i) != load8(q + i)) return false;
    }
    return load8(p + n - 8) == load8(q + n - 8);
  }
  if (n >= 4) return load4(p) == load4(q) && load4(p + n - 4) == load4(q + n - 4);
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] != q[i]) return false;
  }
  return true;
}
// a < b as std::string_view orders them, deciding on the first byte inline.
bool name_less(std::string_view a, std::string_view b) {
  if (!a.empty() && !b.empty() && a[0] != b[0]) {
    return static_cast<unsigned char>(a[0]) < static_cast<unsigned char>(b[0]);
  }
  return a < b;
}

// Sorts labels by name, keeping of each name the one that came last.
void sort_later_wins(std::vector<MetricDecoder::LabelView>& labels) {
  // Insertion sort: stable, no allocation, and label lists are short.
  for (std::size_t i = 1; i < labels.size(); ++i) {
    const auto l = labels[i];
    std::size_t j = i;
    for (; j > 0 && name_less(l.name, labels[j - 1].name); --j) labels[j] = labels[j - 1];
    labels[j] = l;
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i + 1 < labels.size() && same_text(labels[i + 1].name, labels[i].name)) continue;
    labels[kept++] = labels[i];
  }
  labels.resize(kept);
}

void assign_changed(std::string& s, std::string_view v) {
  if (!same_text(s, v)) s.assign(v);
}

}  // namespace

void MetricDecoder::decode(od::value& metric, ResourceContext& resource, OtlpReader& reader, MetricSample& sample,
                           SampleSink& out) {
  od::object obj;
  if (metric.get_object().get(obj)) return out.reject(wrong_type("", "a Metric object", metric));
  bool have_name = false;
  int kinds = 0;
  int deferred = -1;
  for (auto field_result : obj) {
    std::string_view key;
    if (auto ec = open_member(field_result, key)) return out.reject(reader.syntax_error(ec, ""));
    od::field& field = field_result.value_unsafe();
    od::value& v = field.value();
    if (key == "name") {
      if (is_null(v)) continue;
      auto s = read_string(v, "name");
      if (!s) return out.reject(s.error());
      sanitize_metric_name(*s, metric_name_);
      have_name = !metric_name_.empty();
      continue;
    }
    const int k = kind_index(key);
    if (k < 0 || is_null(v)) continue;
    if (++kinds > 1) {
      return out.reject(make_error(std::string(kKinds[k].camel),
                                   "a metric holds one of gauge, sum, histogram, exponentialHistogram or "
                                   "summary, and this one has several"));
    }
    // The sample names need the metric's name, which may come later.
    if (!have_name) {
      deferred = k;
      continue;
    }
    decode_data(v, kKinds[k].kind, resource, reader, sample, out);
    if (reader.broken()) return;
  }
  if (!have_name) return out.reject(make_error("name", "missing"));
  if (kinds == 0) {
    return out.reject(make_error("", "no data: one of gauge, sum, histogram, exponentialHistogram or summary "
                                     "is needed"));
  }
  if (deferred < 0) return;
  bool ignored = false;
  if (auto ec = obj.reset().get(ignored)) return out.reject(reader.syntax_error(ec, ""));
  for (auto field_result : obj) {
    std::string_view key;
    if (auto ec = open_member(field_result, key)) return out.reject(reader.syntax_error(ec, ""));
    od::field& field = field_result.value_unsafe();
    if (kind_index(key) != deferred) continue;
    return decode_data(field.value(), kKinds[deferred].kind, resource, reader, sample, out);
  }
}

void MetricDecoder::decode_data(od::value& data, Kind kind, ResourceContext& resource, OtlpReader& reader,
                                MetricSample& sample, SampleSink& out) {
  const std::string_view name = kind_name(kind);
  od::object obj;
  if (data.get_object().get(obj)) return out.reject(wrong_type(name, "object", data));
  // A sum's name depends on isMonotonic, which the Collector writes after
  // the data points: those are then read in a second pass.
  bool monotonic = false;
  bool header_read = kind != Kind::sum;
  bool deferred = false;
  const std::size_t base_size = metric_name_.size();
  for (auto field_result : obj) {
    std::string_view key;
    if (auto ec = open_member(field_result, key)) return out.reject(reader.syntax_error(ec, name));
    od::field& field = field_result.value_unsafe();
    od::value& v = field.value();
    if (kind == Kind::sum && key_is(key, "isMonotonic", "is_monotonic")) {
      header_read = true;
      if (is_null(v)) continue;
      auto b = read_proto_bool(v, "isMonotonic");
      if (!b) return out.reject(prefixed(name, b.error()));
      monotonic = *b;
    } else if (key_is(key, "dataPoints", "data_points")) {
      if (!header_read) {
        deferred = true;
        continue;
      }
      if (monotonic && !ends_with(metric_name_, "_total")) metric_name_ += "_total";
      decode_points(v, kind, resource, reader, sample, out);
      metric_name_.resize(base_size);
      if (reader.broken()) return;
    }
  }
  if (!deferred) return;
  bool ignored = false;
  if (auto ec = obj.reset().get(ignored)) return out.reject(reader.syntax_error(ec, name));
  if (monotonic && !ends_with(metric_name_, "_total")) metric_name_ += "_total";
  for (auto field_result : obj) {
    std::string_view key;
    if (auto ec = open_member(field_result, key)) return out.reject(reader.syntax_error(ec, name));
    od::field& field = field_result.value_unsafe();
    if (!key_is(key, "dataPoints", "data_points")) continue;
    decode_points(field.value(), kind, resource, reader, sample, out);
    if (reader.broken()) break;
  }
  metric_name_.resize(base_size);
}

void MetricDecoder::decode_points(od::value& points, Kind kind, ResourceContext& resource, OtlpReader& reader,
                                  MetricSample& sample, SampleSink& out) {
  const auto path = [&](std::size_t i) { return indexed(std::string(kind_name(kind)) + ".dataPoints", i); };
  if (is_null(points)) return;
  od::array arr;
  if (points.get_array().get(arr)) {
    return out.reject(wrong_type(std::string(kind_name(kind)) + ".dataPoints", "array", points));
  }
  std::size_t i = 0;
  for (auto element : arr) {
    const std::size_t index = i++;
    if (element.error()) return out.reject(reader.syntax_error(element.error(), path(index)));
    Status st = read_point(element.value_unsafe(), kind, reader);
    if (st) st = emit_point(kind, resource, sample, out);
    if (!st) out.reject(prefixed(path(index), st.error()));
    if (reader.broken()) return;
  }
}

Status MetricDecoder::read_point(od::value& v, Kind kind, OtlpReader& reader) {
  od::object obj;
  if (v.get_object().get(obj)) return wrong_type("", "a data point object", v);
  Point& p = point_;
  p.attributes.clear();
  p.text.clear();
  p.time = 0;
  p.flags = 0;
  p.has_double = p.has_int = p.has_sum = false;
  p.count = 0;
  p.sum = 0;
  p.bucket_counts.clear();
  p.bounds.clear();
  p.scale = 0;
  p.zero_count = 0;
  p.zero_threshold = 0;
  p.positive.offset = p.negative.offset = 0;
  p.positive.counts.clear();
  p.negative.counts.clear();
  p.quantiles.clear();
  const bool number = kind == Kind::gauge || kind == Kind::sum;
  for (auto member : obj) {
    std::string_view key;
    if (auto ec = open_member(member, key)) return reader.syntax_error(ec, "");
    od::field& field = member.value_unsafe();
    od::value& x = field.value();
    if (is_null(x)) continue;
    Status st = ok_status();
    if (key == "attributes") {
      st = reader.read_attribute_views(x, "attributes", p.attributes, p.text);
    } else if (key_is(key, "timeUnixNano", "time_unix_nano")) {
      auto t = read_nanos(x, "timeUnixNano");
      if (!t) return t.error();
      p.time = *t;
    } else if (key == "flags") {
      auto f = read_uint64(x, "flags");
      if (!f) return f.error();
      p.flags = *f;
    } else if (number && key_is(key, "asDouble", "as_double")) {
      auto d = read_proto_double(x, "asDouble");
      if (!d) return d.error();
      p.as_double = *d;
      p.has_double = true;
    } else if (number && key_is(key, "asInt", "as_int")) {
      auto i = read_integer(x, "asInt");
      if (!i) return i.error();
      p.as_int = *i;
      p.has_int = true;
    } else if (number) {
      continue;
    } else if (key == "count") {
      auto c = read_uint64(x, "count");
      if (!c) return c.error();
      p.count = *c;
    } else if (key == "sum") {
      auto s = read_proto_double(x, "sum");
      if (!s) return s.error();
      p.sum = *s;
      p.has_sum = true;
    } else if (kind == Kind::histogram && key_is(key, "bucketCounts", "bucket_counts")) {
      st = read_counts(x, "bucketCounts", p.bucket_counts, reader);
    } else if (kind == Kind::histogram && key_is(key, "explicitBounds", "explicit_bounds")) {
      st = read_doubles(x, "explicitBounds", p.bounds, reader);
    } else if (kind == Kind::exponential_histogram && key == "scale") {
      auto s = read_int64(x, "scale");
      if (!s) return s.error();
      p.scale = *s;
    } else if (kind == Kind::exponential_histogram && key_is(key, "zeroCount", "zero_count")) {
      auto z = read_uint64(x, "zeroCount");
      if (!z) return z.error();
      p.zero_count = *z;
    } else if (kind == Kind::exponential_histogram && key_is(key, "zeroThreshold", "zero_threshold")) {
      auto z = read_proto_double(x, "zeroThreshold");
      if (!z) return z.error();
      p.zero_threshold = *z;
    } else if (kind == Kind::exponential_histogram && (key == "positive" || key == "negative")) {
      st = read_side(x, key == "positive" ? "positive" : "negative", key == "positive" ? p.positive : p.negative,
                     reader);
    } else if (kind == Kind::summary && key_is(key, "quantileValues", "quantile_values")) {
      st = read_quantiles(x, reader);
    }
    if (!st) return st;
  }
  return ok_status();
}

Status MetricDecoder::read_side(od::value& v, std::string_view field, Side& side, OtlpReader& reader) {
  od::object obj;
  if (v.get_object().get(obj)) return wrong_type(field, "a Buckets object", v);
  for (auto member_result : obj) {
    std::string_view key;
    if (auto ec = open_member(member_result, key)) return reader.syntax_error(ec, field);
    od::field& member = member_result.value_unsafe();
    od::value& x = member.value();
    if (is_null(x)) continue;
    if (key == "offset") {
      auto o = read_int64(x, "offset");
      if (!o) return prefixed(field, o.error());
      if (*o < INT32_MIN || *o > INT32_MAX) return make_error(std::string(field) + ".offset", "outside int32");
      side.offset = *o;
    } else if (key_is(key, "bucketCounts", "bucket_counts")) {
      if (Status st = read_counts(x, "bucketCounts", side.counts, reader); !st) return prefixed(field, st.error());
    }
  }
  return ok_status();
}

Status MetricDecoder::read_quantiles(od::value& v, OtlpReader& reader) {
  od::array arr;
  if (v.get_array().get(arr)) return wrong_type("quantileValues", "array", v);
  for (auto element : arr) {
    const std::size_t index = point_.quantiles.size();
    if (element.error()) return reader.syntax_error(element.error(), indexed("quantileValues", index));
    od::value& entry = element.value_unsafe();
    od::object obj;
    if (entry.get_object().get(obj)) return wrong_type(indexed("quantileValues", index), "object", entry);
    double q = 0, value = 0;
    for (auto member_result : obj) {
      std::string_view key;
      if (auto ec = open_member(member_result, key)) return reader.syntax_error(ec, indexed("quantileValues", index));
      od::field& member = member_result.value_unsafe();
      od::value& x = member.value();
      if (is_null(x) || (key != "quantile" && key != "value")) continue;
      auto d = read_proto_double(x, key);
      if (!d) return prefixed(indexed("quantileValues", index), d.error());
      (key == "quantile" ? q : value) = *d;
    }
    if (!(q >= 0 && q <= 1)) {
      return make_error(indexed("quantileValues", index) + ".quantile", "not between 0 and 1");
    }
    point_.quantiles.emplace_back(q, value);
  }
  return ok_status();
}

Status MetricDecoder::emit_point(Kind kind, ResourceContext& resource, MetricSample& sample, SampleSink& out) {
  const Point& p = point_;
  // NO_RECORDED_VALUE: the point marks a gap, not a value.
  if ((p.flags & 1u) != 0) return ok_status();
  if (p.time == 0) return make_error("timeUnixNano", "missing (a data point needs its time)");
  // Everything is checked before the first sample goes out, so that a
  // refused point yields nothing.
  if (kind == Kind::gauge || kind == Kind::sum) {
    if (p.has_double && p.has_int) return make_error("asInt", "both asDouble and asInt are set");
    if (!p.has_double && !p.has_int) return make_error("asDouble", "missing (a number point needs asDouble or asInt)");
    build_labels(resource, {});
    emit({}, {}, {}, p.has_double ? p.as_double : static_cast<double>(p.as_int), sample, out);
    return ok_status();
  }
  if (kind == Kind::histogram) {
    for (std::size_t i = 0; i < p.bounds.size(); ++i) {
      if (!std::isfinite(p.bounds[i]) || (i > 0 && !(p.bounds[i] > p.bounds[i - 1]))) {
        return make_error(indexed("explicitBounds", i), "bounds must be finite and increasing");
      }
    }
    if (!p.bucket_counts.empty() && p.bucket_counts.size() != p.bounds.size() + 1) {
      return make_error("bucketCounts", std::to_string(p.bucket_counts.size()) + " counts for " +
                                            std::to_string(p.bounds.size()) + " explicitBounds (want one more " +
                                            "count than bounds)");
    }
    build_labels(resource, "le");
    std::uint64_t cumulative = 0;
    if (!p.bucket_counts.empty()) {
      for (std::size_t i = 0; i < p.bounds.size(); ++i) {
        cumulative += p.bucket_counts[i];
        le_.clear();
        append_number(p.bounds[i], le_);
        emit("_bucket", "le", le_, static_cast<double>(cumulative), sample, out);
      }
      cumulative += p.bucket_counts.back();
    } else {
      cumulative = p.count;
    }
    emit("_bucket", "le", "+Inf", static_cast<double>(cumulative), sample, out);
  } else if (kind == Kind::exponential_histogram) {
    if (p.scale < -10 || p.scale > 20) {
      return make_error("scale", std::to_string(p.scale) + " is outside -10..20");
    }
    if (!(p.zero_threshold >= 0) || !std::isfinite(p.zero_threshold)) {
      return make_error("zeroThreshold", "must be a finite number, 0 or more");
    }
    build_labels(resource, "le");
    // Cumulative from the most negative bucket up. A bucket whose bound does
    // not fit a double, or falls inside the zero bucket, is folded into the
    // next bucket written (its count is never lost).
    std::uint64_t cumulative = 0;
    for (std::size_t j = p.negative.counts.size(); j-- > 0;) {
      cumulative += p.negative.counts[j];
      const double le = -exponential_bound(p.negative.offset + static_cast<std::int64_t>(j), p.scale);
      if (!std::isfinite(le) || !(le < -p.zero_threshold)) continue;
      le_.clear();
      append_number(le, le_);
      emit("_bucket", "le", le_, static_cast<double>(cumulative), sample, out);
    }
    cumulative += p.zero_count;
    le_.clear();
    append_number(p.zero_threshold, le_);
    emit("_bucket", "le", le_, static_cast<double>(cumulative), sample, out);
    for (std::size_t i = 0; i < p.positive.counts.size(); ++i) {
      cumulative += p.positive.counts[i];
      const double le = exponential_bound(p.positive.offset + static_cast<std::int64_t>(i) + 1, p.scale);
      if (!std::isfinite(le) || !(le > p.zero_threshold)) continue;
      le_.clear();
      append_number(le, le_);
      emit("_bucket", "le", le_, static_cast<double>(cumulative), sample, out);
    }
    emit("_bucket", "le", "+Inf", static_cast<double>(cumulative), sample, out);
  } else {
    build_labels(resource, "quantile");
    for (const auto& [q, value] : p.quantiles) {
      le_.clear();
      append_number(q, le_);
      emit({}, "quantile", le_, value, sample, out);
    }
  }
  // A summary's sum is always set; a histogram's is optional in OTLP.
  if (p.has_sum || kind == Kind::summary) emit("_sum", {}, {}, p.sum, sample, out);
  emit("_count", {}, {}, static_cast<double>(p.count), sample, out);
  return ok_status();
}

std::string_view MetricDecoder::label_name(std::size_t index, std::string_view key) {
  LabelName& cached = label_names_[index];
  if (same_text(cached.key, key)) return cached.name;
  cached.key.assign(key);
  sanitize_label_name(key, cached.name);
  return cached.name;
}

void MetricDecoder::prepare_resource_labels(ResourceContext& resource) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < resource.attribute_count; ++i) {
    if (i == resource.service_index) continue;
    if (n == resource.labels.size()) resource.labels.emplace_back();
    auto& [name, value] = resource.labels[n++];
    sanitize_label_name(resource.attributes[i].first, name);
    value.clear();
    append_text(resource.attributes[i].second, value);
  }
  resource.label_count = n;
  resource.labels_ready = true;
  resource_labels_.clear();
  for (std::size_t i = 0; i < n; ++i) resource_labels_.push_back({resource.labels[i].first, resource.labels[i].second});
  sort_later_wins(resource_labels_);
}

void MetricDecoder::build_labels(ResourceContext& resource, std::string_view reserved) {
  if (!resource.labels_ready) {
    prepare_resource_labels(resource);
    layout_valid_ = false;
  }
  const std::vector<AttributeView>& attributes = point_.attributes;
  const auto value_of = [&](const AttributeView& a) {
    return a.in_text ? std::string_view(point_.text).substr(a.text_begin, a.text_end - a.text_begin) : a.value;
  };
  bool same_layout = layout_valid_ && attributes.size() == layout_keys_.size() && reserved == layout_reserved_;
  for (std::size_t i = 0; same_layout && i < attributes.size(); ++i) {
    same_layout = same_text(attributes[i].key, layout_keys_[i]) && !value_of(attributes[i]).empty();
  }
  if (same_layout) {
    for (LabelView& l : labels_) {
      if (l.attribute >= 0) l.value = value_of(attributes[static_cast<std::size_t>(l.attribute)]);
    }
    return;
  }

  if (label_names_.size() < attributes.size()) label_names_.resize(attributes.size());
  point_labels_.clear();
  layout_keys_.clear();
  layout_valid_ = true;
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    const AttributeView& a = attributes[i];
    const std::string_view value = value_of(a);
    point_labels_.push_back({label_name(i, a.key), value, static_cast<int>(i)});
    layout_keys_.push_back(a.key);
    layout_valid_ = layout_valid_ && !value.empty();
  }
  layout_reserved_ = reserved;
  ++layout_id_;
  sort_later_wins(point_labels_);
  // Later wins: resource attributes, then the point's attributes, then the
  // resource's service. Prometheus treats an empty label as an absent one,
  // and keeps `le` (histograms) and `quantile` (summaries) for the series it
  // writes.
  const bool has_service = !resource.service.empty();
  labels_.clear();
  const auto keep = [&](const LabelView& l) {
    if (l.name.empty() || l.value.empty() || same_text(l.name, reserved)) return;
    if (has_service && !name_less(l.name, "service")) {
      if (same_text(l.name, "service")) return;
      if (labels_.empty() || name_less(labels_.back().name, "service")) {
        labels_.push_back({"service", resource.service});
      }
    }
    labels_.push_back(l);
  };
  std::size_t r = 0, q = 0;
  while (r < resource_labels_.size() || q < point_labels_.size()) {
    if (q == point_labels_.size() ||
        (r < resource_labels_.size() && name_less(resource_labels_[r].name, point_labels_[q].name))) {
      keep(resource_labels_[r++]);
    } else {
      if (r < resource_labels_.size() && same_text(resource_labels_[r].name, point_labels_[q].name)) ++r;
      keep(point_labels_[q++]);
    }
  }
  if (has_service && (labels_.empty() || name_less(labels_.back().name, "service"))) {
    labels_.push_back({"service", resource.service});
  }
}

void MetricDecoder::emit(std::string_view suffix, std::string_view extra_name, std::string_view extra_value,
                         double value, MetricSample& sample, SampleSink& out) {
  // The sample is reused from emit to emit: most of its strings are already
  // what they should be, and comparing is cheaper than copying.
  if (sample.name.size() != metric_name_.size() + suffix.size() ||
      !same_text(std::string_view(sample.name).substr(0, metric_name_.size()), metric_name_) ||
      !same_text(std::string_view(sample.name).substr(metric_name_.size()), suffix)) {
    sample.name.assign(metric_name_);
    sample.name += suffix;
  }
  Labels& labels = sample.labels;
  if (emitted_sample_ == &sample && emitted_layout_ == layout_id_ && same_text(emitted_extra_, extra_name)) {
    // The names are in place: only values from the point, and the extra
    // label's, may differ.
    const std::size_t at = emitted_extra_at_;
    for (std::size_t k = 0; k < labels_.size(); ++k) {
      if (labels_[k].attribute >= 0) assign_changed(labels[k < at ? k : k + 1].second, labels_[k].value);
    }
    if (!extra_name.empty()) assign_changed(labels[at].second, extra_value);
  } else {
    std::size_t n = 0;
    const auto put = [&](std::string_view k, std::string_view v) {
      if (n == labels.size()) labels.emplace_back();
      assign_changed(labels[n].first, k);
      assign_changed(labels[n].second, v);
      ++n;
    };
    // `le` and `quantile` take their sorted place (build_labels left out any
    // attribute of the same name).
    bool extra_done = extra_name.empty();
    std::size_t extra_at = labels_.size();
    for (const LabelView& l : labels_) {
      if (!extra_done && name_less(extra_name, l.name)) {
        extra_at = n;
        put(extra_name, extra_value);
        extra_done = true;
      }
      put(l.name, l.value);
    }
    if (!extra_done) {
      extra_at = n;
      put(extra_name, extra_value);
    }
    if (labels.size() != n) labels.resize(n);
    emitted_sample_ = &sample;
    emitted_layout_ = layout_id_;
    emitted_extra_ = extra_name;
    emitted_extra_at_ = extra_name.empty() ? labels_.size() : extra_at;
  }
  sample.time = point_.time;
  sample.value = value;
  out.emit_sample();
}

}  // namespace eventlens::codec::internal::otlp
