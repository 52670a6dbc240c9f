// OTLP metrics into Prometheus-named samples; the rules are in
// docs/codecs/otlp.md ("Metrics").
#include <algorithm>
#include <cmath>

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
Status read_counts(od::value v, std::string_view field, std::vector<std::uint64_t>& out, OtlpReader& reader) {
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

Status read_doubles(od::value v, std::string_view field, std::vector<double>& out, OtlpReader& reader) {
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

}  // namespace

void MetricDecoder::decode(od::value metric, ResourceContext& resource, OtlpReader& reader, MetricSample& sample,
                           SampleSink& out) {
  od::object obj;
  if (metric.get_object().get(obj)) return out.reject(wrong_type("", "a Metric object", metric));
  bool have_name = false;
  int kinds = 0;
  int deferred = -1;
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = read_key(field, key)) return out.reject(reader.syntax_error(ec, ""));
    od::value v = field.value().value_unsafe();
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
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = read_key(field, key)) return out.reject(reader.syntax_error(ec, ""));
    if (kind_index(key) != deferred) continue;
    return decode_data(field.value().value_unsafe(), kKinds[deferred].kind, resource, reader, sample, out);
  }
}

void MetricDecoder::decode_data(od::value data, Kind kind, ResourceContext& resource, OtlpReader& reader,
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
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = read_key(field, key)) return out.reject(reader.syntax_error(ec, name));
    od::value v = field.value().value_unsafe();
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
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = read_key(field, key)) return out.reject(reader.syntax_error(ec, name));
    if (!key_is(key, "dataPoints", "data_points")) continue;
    decode_points(field.value().value_unsafe(), kind, resource, reader, sample, out);
    if (reader.broken()) break;
  }
  metric_name_.resize(base_size);
}

void MetricDecoder::decode_points(od::value points, Kind kind, ResourceContext& resource, OtlpReader& reader,
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

Status MetricDecoder::read_point(od::value v, Kind kind, OtlpReader& reader) {
  od::object obj;
  if (v.get_object().get(obj)) return wrong_type("", "a data point object", v);
  Point& p = point_;
  p.attribute_count = 0;
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
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = read_key(field, key)) return reader.syntax_error(ec, "");
    od::value x = field.value().value_unsafe();
    if (is_null(x)) continue;
    Status st = ok_status();
    if (key == "attributes") {
      st = reader.read_attributes(x, "attributes", p.attributes, p.attribute_count);
    } else if (key_is(key, "timeUnixNano", "time_unix_nano")) {
      auto t = read_unix_nanos(x, "timeUnixNano");
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
      auto i = read_int64(x, "asInt");
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

Status MetricDecoder::read_side(od::value v, std::string_view field, Side& side, OtlpReader& reader) {
  od::object obj;
  if (v.get_object().get(obj)) return wrong_type(field, "a Buckets object", v);
  for (auto member : obj) {
    std::string_view key;
    if (auto ec = read_key(member, key)) return reader.syntax_error(ec, field);
    od::value x = member.value().value_unsafe();
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

Status MetricDecoder::read_quantiles(od::value v, OtlpReader& reader) {
  od::array arr;
  if (v.get_array().get(arr)) return wrong_type("quantileValues", "array", v);
  for (auto element : arr) {
    const std::size_t index = point_.quantiles.size();
    if (element.error()) return reader.syntax_error(element.error(), indexed("quantileValues", index));
    od::value entry = element.value_unsafe();
    od::object obj;
    if (entry.get_object().get(obj)) return wrong_type(indexed("quantileValues", index), "object", entry);
    double q = 0, value = 0;
    for (auto member : obj) {
      std::string_view key;
      if (auto ec = read_key(member, key)) return reader.syntax_error(ec, indexed("quantileValues", index));
      od::value x = member.value().value_unsafe();
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

void MetricDecoder::set_label(std::string_view name, std::string_view value) {
  for (std::size_t i = 0; i < label_count_; ++i) {
    if (labels_[i].first == name) {
      labels_[i].second.assign(value);
      return;
    }
  }
  if (label_count_ == labels_.size()) labels_.emplace_back();
  labels_[label_count_].first.assign(name);
  labels_[label_count_].second.assign(value);
  ++label_count_;
}

void MetricDecoder::build_labels(ResourceContext& resource, std::string_view reserved) {
  if (!resource.labels_ready) {
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
  }
  // Later wins: resource attributes, then the point's attributes, then the
  // resource's service.
  label_count_ = 0;
  for (std::size_t i = 0; i < resource.label_count; ++i) set_label(resource.labels[i].first, resource.labels[i].second);
  for (std::size_t i = 0; i < point_.attribute_count; ++i) {
    sanitize_label_name(point_.attributes[i].first, label_name_);
    label_value_.clear();
    append_text(point_.attributes[i].second, label_value_);
    set_label(label_name_, label_value_);
  }
  if (!resource.service.empty()) set_label("service", resource.service);
  // Prometheus treats an empty label as an absent one, and keeps `le`
  // (histograms) and `quantile` (summaries) for the series it writes.
  std::size_t kept = 0;
  for (std::size_t i = 0; i < label_count_; ++i) {
    if (labels_[i].first.empty() || labels_[i].second.empty() || labels_[i].first == reserved) continue;
    if (i != kept) std::swap(labels_[i], labels_[kept]);
    ++kept;
  }
  label_count_ = kept;
  std::sort(labels_.begin(), labels_.begin() + static_cast<std::ptrdiff_t>(label_count_));
}

void MetricDecoder::emit(std::string_view suffix, std::string_view extra_name, std::string_view extra_value,
                         double value, MetricSample& sample, SampleSink& out) {
  sample.name.assign(metric_name_);
  sample.name += suffix;
  Labels& labels = sample.labels;
  std::size_t n = 0;
  const auto put = [&](std::string_view k, std::string_view v) {
    if (n == labels.size()) labels.emplace_back();
    labels[n].first.assign(k);
    labels[n].second.assign(v);
    ++n;
  };
  // `le` and `quantile` take their sorted place and win over an attribute
  // of the same name.
  bool extra_done = extra_name.empty();
  for (std::size_t i = 0; i < label_count_; ++i) {
    const auto& [k, v] = labels_[i];
    if (!extra_done && k >= extra_name) {
      put(extra_name, extra_value);
      extra_done = true;
      if (k == extra_name) continue;
    }
    put(k, v);
  }
  if (!extra_done) put(extra_name, extra_value);
  labels.resize(n);
  sample.time = point_.time;
  sample.value = value;
  out.emit_sample();
}

}  // namespace eventlens::codec::internal::otlp
