#include <cerrno>
#include <cstring>
#include <filesystem>

#include "codec/k8s_event.h"
#include "codec/native_json.h"
#include "codec/prometheus_text.h"
#include "simulate/record_sink.h"

namespace eventlens::simulate {
namespace {

// One output file with a large buffer: records are appended to a string and
// written in 1 MiB blocks, so that a record costs no system call.
class BufferedFile {
 public:
  static constexpr std::size_t kBlock = 1 << 20;

  Status open(const std::filesystem::path& path) {
    path_ = path.string();
    file_ = std::fopen(path_.c_str(), "wb");
    if (file_ == nullptr) return make_error(path_, std::strerror(errno));
    buffer_.reserve(kBlock + 64 * 1024);
    return ok_status();
  }
  bool is_open() const { return file_ != nullptr; }
  std::string& buffer() { return buffer_; }
  void maybe_flush() {
    if (buffer_.size() >= kBlock) flush();
  }
  void flush() {
    if (file_ == nullptr || buffer_.empty()) return;
    if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size() && error_.empty()) {
      error_ = std::strerror(errno);
    }
    buffer_.clear();
  }
  Status close() {
    flush();
    if (file_ != nullptr && std::fclose(file_) != 0 && error_.empty()) error_ = std::strerror(errno);
    file_ = nullptr;
    if (!error_.empty()) return make_error(path_, error_);
    return ok_status();
  }
  ~BufferedFile() {
    if (file_ != nullptr) std::fclose(file_);
  }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  std::string buffer_;
  std::string error_;
};

class FileSink final : public RecordSink {
 public:
  Status open(const FileSinkOptions& options) {
    std::error_code ec;
    std::filesystem::create_directories(options.dir, ec);
    if (ec) return make_error(options.dir, ec.message());
    const std::filesystem::path dir(options.dir);
    for (auto [file, name] : {std::pair{&events_, "events.jsonl"}, {&metrics_, "metrics.jsonl"},
                              {&logs_, "logs.jsonl"}, {&traces_, "traces.jsonl"}}) {
      if (Status st = file->open(dir / name); !st) return st;
    }
    if (options.k8s_events) {
      if (Status st = k8s_.open(dir / "events.k8s.jsonl"); !st) return st;
    }
    if (options.prometheus_metrics) {
      if (Status st = prometheus_.open(dir / "metrics.prom"); !st) return st;
    }
    return ok_status();
  }

  void event(const Event& e) override {
    codec::encode_native(e, events_.buffer());
    events_.buffer() += '\n';
    events_.maybe_flush();
    if (k8s_.is_open()) {
      codec::encode_k8s_watch_line(e, k8s_.buffer());
      k8s_.buffer() += '\n';
      k8s_.maybe_flush();
    }
  }
  void metric(const MetricSample& m) override {
    codec::encode_native(m, metrics_.buffer());
    metrics_.buffer() += '\n';
    metrics_.maybe_flush();
    if (prometheus_.is_open()) {
      codec::encode_prometheus_text(std::span<const MetricSample>(&m, 1), prometheus_.buffer());
      prometheus_.maybe_flush();
    }
  }
  void log(const LogRecord& l) override {
    codec::encode_native(l, logs_.buffer());
    logs_.buffer() += '\n';
    logs_.maybe_flush();
  }
  void span(const Span& s) override {
    codec::encode_native(s, traces_.buffer());
    traces_.buffer() += '\n';
    traces_.maybe_flush();
  }
  Status close() override {
    Status first = ok_status();
    for (BufferedFile* f : {&events_, &metrics_, &logs_, &traces_, &k8s_, &prometheus_}) {
      Status st = f->close();
      if (first && !st) first = st;
    }
    return first;
  }

 private:
  BufferedFile events_, metrics_, logs_, traces_, k8s_, prometheus_;
};

}  // namespace

Result<std::unique_ptr<RecordSink>> open_file_sink(const FileSinkOptions& options) {
  auto sink = std::make_unique<FileSink>();
  if (Status st = sink->open(options); !st) return st.error();
  return std::unique_ptr<RecordSink>(std::move(sink));
}

}  // namespace eventlens::simulate
