#include "cli/decode_command.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>

#include "cli/file_input.h"
#include "codec/json_writer.h"
#include "codec/native_json.h"

namespace eventlens::cli {
namespace {

// Buffers native JSON lines for stdout and reject lines for stderr.
class DecodeOutput final : public codec::RecordHandler {
 public:
  explicit DecodeOutput(std::string file) : file_(std::move(file)) {}

  void on_record(const Record& record, std::size_t) override {
    ++records_;
    codec::encode_native(record, out_);
    out_ += '\n';
    if (out_.size() > (1 << 20)) flush();
  }

  void on_reject(Error&& error, std::size_t position) override {
    codec::JsonWriter w(err_);
    w.begin_object();
    w.field("file", file_);
    w.key("index");
    w.integer(static_cast<std::int64_t>(records_ + rejected_));
    if (position != 0) {
      w.key("line");
      w.integer(static_cast<std::int64_t>(position));
    }
    w.field("field", error.field);
    w.field("reason", error.reason);
    w.end_object();
    err_ += '\n';
    ++rejected_;
  }

  void on_skip(std::string_view kind, std::size_t) override { ++skipped_[std::string(kind)]; }

  void write_stats() {
    codec::JsonWriter w(err_);
    w.begin_object();
    w.field("file", file_);
    w.key("records");
    w.integer(static_cast<std::int64_t>(records_));
    w.key("rejected");
    w.integer(static_cast<std::int64_t>(rejected_));
    w.key("skipped");
    w.begin_object();
    for (const auto& [kind, n] : skipped_) {
      w.key(kind);
      w.integer(static_cast<std::int64_t>(n));
    }
    w.end_object();
    w.end_object();
    err_ += '\n';
  }

  void flush() {
    std::fwrite(out_.data(), 1, out_.size(), stdout);
    std::fwrite(err_.data(), 1, err_.size(), stderr);
    out_.clear();
    err_.clear();
  }

  std::size_t rejected() const { return rejected_; }

 private:
  std::string file_;
  std::string out_;
  std::string err_;
  std::size_t records_ = 0;
  std::size_t rejected_ = 0;
  std::map<std::string, std::size_t> skipped_;
};

void usage_error(const std::string& message) {
  std::fprintf(stderr, "eventlens decode: %s\n", message.c_str());
}

}  // namespace

int run_decode(const DecodeCommandOptions& options) {
  codec::DecodeOptions decode_options;
  decode_options.max_record_bytes = options.max_record_bytes;
  if (options.default_time.empty()) {
    decode_options.default_time = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count();
  } else {
    auto t = parse_rfc3339(options.default_time);
    if (!t) {
      usage_error("--time: " + t.error().reason);
      return 2;
    }
    decode_options.default_time = *t;
  }
  std::optional<codec::Format> fixed_format;
  if (options.format != "auto") {
    auto f = codec::parse_format(options.format);
    if (!f) {
      usage_error(f.error().to_string());
      return 2;
    }
    fixed_format = *f;
  }
  std::map<codec::Format, std::unique_ptr<codec::Decoder>> decoders;
  std::size_t rejected = 0;
  for (const auto& path : options.files) {
    auto bytes = read_file(path);
    if (!bytes) {
      usage_error("cannot read " + bytes.error().to_string());
      return 2;
    }
    codec::Format format;
    if (fixed_format) {
      format = *fixed_format;
    } else {
      auto detected = codec::detect_format(bytes->view(), path);
      if (!detected) {
        usage_error(detected.error().to_string());
        return 2;
      }
      format = *detected;
    }
    auto& decoder = decoders[format];
    if (!decoder) decoder = codec::make_decoder(format, decode_options);
    DecodeOutput output(path);
    decoder->decode(bytes->view(), output);
    if (options.stats) output.write_stats();
    output.flush();
    rejected += output.rejected();
  }
  std::fflush(stdout);
  return rejected == 0 ? 0 : 1;
}

}  // namespace eventlens::cli
