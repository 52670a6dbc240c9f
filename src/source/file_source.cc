#include "source/file_source.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <deque>
#include <optional>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <variant>

namespace eventlens::source {
namespace {

// simdjson reads up to this many bytes past the end of what it parses.
constexpr std::size_t kPadding = 64;
// Reads from the file come in blocks of about this size.
constexpr std::size_t kReadBlock = std::size_t{1} << 20;
// A chunk holds at least this many lines when the file has them, whatever the
// batch size: every chunk costs a decode call (and, for Prometheus text, the
// preamble of TYPE lines).
constexpr std::size_t kMinChunkLines = 1024;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::size_t skip_blanks(std::string_view s, std::size_t pos) {
  while (pos < s.size() && is_blank(s[pos])) ++pos;
  return pos;
}

std::string_view next_token(std::string_view s, std::size_t& pos) {
  const std::size_t start = pos;
  while (pos < s.size() && !is_blank(s[pos])) ++pos;
  return s.substr(start, pos - start);
}

// Calls fn(line, line_number) for every line of `text` that is not blank,
// without its line end, numbered from 1 over all lines: the splitting every
// line-oriented decoder does (codec/internal/lines.h), repeated here because
// the reader must agree with it line for line.
template <typename Fn>
void for_each_line(std::string_view text, Fn&& fn) {
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    ++line_no;
    std::string_view line = text.substr(pos, end - pos);
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

// ---------------------------------------------------------------------------
// Bytes in

class ByteStream {
 public:
  virtual ~ByteStream() = default;
  // Reads up to `n` bytes into `p`: the count, 0 at the end of the file, or
  // an Error (its field empty).
  virtual Result<std::size_t> read(char* p, std::size_t n) = 0;
};

class PlainStream final : public ByteStream {
 public:
  PlainStream(int fd, bool owned) : fd_(fd), owned_(owned) {}
  ~PlainStream() override {
    if (owned_) ::close(fd_);
  }
  Result<std::size_t> read(char* p, std::size_t n) override {
    for (;;) {
      const ssize_t got = ::read(fd_, p, n);
      if (got >= 0) return static_cast<std::size_t>(got);
      if (errno != EINTR) return make_error("", std::strerror(errno));
    }
  }

 private:
  int fd_;
  bool owned_;
};

class GzipStream final : public ByteStream {
 public:
  explicit GzipStream(gzFile file) : file_(file) {}
  ~GzipStream() override { gzclose(file_); }
  Result<std::size_t> read(char* p, std::size_t n) override {
    const int got = gzread(file_, p, static_cast<unsigned>(std::min<std::size_t>(n, INT_MAX / 2)));
    int code = Z_OK;
    const char* message = gzerror(file_, &code);
    if (got > 0) return static_cast<std::size_t>(got);
    // gzread reports a stream cut short only through gzerror (Z_BUF_ERROR),
    // returning 0 as at a clean end.
    if (got == 0 && code == Z_OK) return std::size_t{0};
    if (code == Z_BUF_ERROR) return make_error("", "truncated gzip data (the file ends inside a compressed stream)");
    if (code == Z_ERRNO) return make_error("", std::strerror(errno));
    return make_error("", std::string("corrupt gzip data: ") + (message != nullptr ? message : "unknown error"));
  }

 private:
  gzFile file_;
};

Result<std::unique_ptr<ByteStream>> open_stream(const std::string& path) {
  if (path == "-") return std::unique_ptr<ByteStream>(std::make_unique<PlainStream>(STDIN_FILENO, false));
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(path, std::strerror(errno));
  if (!ends_with(path, ".gz")) return std::unique_ptr<ByteStream>(std::make_unique<PlainStream>(fd, true));
  gzFile file = gzdopen(fd, "rb");
  if (file == nullptr) {
    ::close(fd);
    return make_error(path, "cannot start gzip decompression (out of memory)");
  }
  gzbuffer(file, 256 * 1024);
  return std::unique_ptr<ByteStream>(std::make_unique<GzipStream>(file));
}

// The bytes read and not yet consumed, with kPadding readable bytes after
// the end of the buffer at all times.
class ReadBuffer {
 public:
  void attach(std::unique_ptr<ByteStream> in) { in_ = std::move(in); }

  std::string_view data() const { return {buf_.data() + begin_, end_ - begin_}; }
  bool eof() const { return eof_; }
  // The read error that ended the file early, if any.
  const std::optional<Error>& error() const { return error_; }

  void consume(std::size_t n) { begin_ += n; }

  // Reads until at least `want` bytes are buffered or the file ends.
  void fill(std::size_t want) {
    if (end_ - begin_ >= want || eof_) return;
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (capacity() < want) {
      // Doubling: reading a whole document block by block must not copy it
      // over and over.
      buf_.resize(std::max(want, 2 * capacity()) + kPadding);
    }
    while (end_ < want && !eof_) {
      auto n = in_->read(buf_.data() + end_, capacity() - end_);
      if (!n) {
        error_ = n.error();
        eof_ = true;
      } else if (*n == 0) {
        eof_ = true;
      } else {
        end_ += *n;
      }
    }
  }

  // Frees the storage (after a whole document was decoded).
  void release() {
    buf_ = std::string();
    begin_ = end_ = 0;
  }

 private:
  std::size_t capacity() const { return buf_.size() < kPadding ? 0 : buf_.size() - kPadding; }

  std::unique_ptr<ByteStream> in_;
  std::string buf_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;
  std::optional<Error> error_;
};

// ---------------------------------------------------------------------------
// Cutting line-oriented files into chunks

// Where a chunk may end. Most decoders read line by line, so any line end
// will do. The Kubernetes JSON decoder splits its payload into top-level
// values, which may span lines: a chunk ends only where its scanner
// (codec/k8s_json_scan.cc) would end a value anyway, before a line that
// starts with '{' after one that could not have continued a value.
enum class CutRule { any_line, k8s_value };

bool k8s_cut_allowed(std::string_view d, std::size_t at) {
  if (d[at] != '{') return false;
  for (std::size_t i = at; i > 0; --i) {
    const char c = d[i - 1];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c != '[' && c != ',' && c != ':' && c != '{';
  }
  return true;
}

// One piece of a line-oriented file, in file order.
struct Piece {
  enum class Kind { lines, long_line, end };
  Kind kind = Kind::end;
  std::string_view text;       // lines: whole lines; kPadding readable bytes follow
  std::size_t first_line = 0;  // 1-based line of text's first line, or the long line
  std::size_t length = 0;      // long_line: its bytes without the line end
  bool blank = false;          // long_line: only blanks (decoders skip such lines)
};

class LineChunker {
 public:
  LineChunker(ReadBuffer& buffer, std::size_t line_limit, CutRule rule)
      : buf_(buffer), line_limit_(line_limit), rule_(rule) {}

  // Returns the next piece: whole lines, about `target` bytes or `max_lines`
  // lines (whichever comes first), or one line longer than the line limit,
  // skipped without being held; `end` after the last. The text of a piece
  // stays valid until the next call.
  Piece next(std::size_t max_lines, std::size_t target) {
    buf_.consume(taken_);
    taken_ = 0;
    std::size_t scanned = 0;  // bytes of the whole lines taken so far
    std::size_t lines = 0;
    for (;;) {
      std::string_view d = buf_.data();
      if (scanned > 0 && (lines >= max_lines || scanned >= target)) {
        if (rule_ == CutRule::any_line) return take(scanned, lines);
        // The next line's first byte decides; with no value boundary in
        // sight, a chunk ends anyway at four times its size.
        if (scanned == d.size() && !buf_.eof()) {
          buf_.fill(d.size() + kReadBlock);
          continue;
        }
        if (scanned == d.size() || k8s_cut_allowed(d, scanned) || scanned >= 4 * target) {
          return take(scanned, lines);
        }
      }
      const char* start = d.data() + scanned;
      const auto* nl = static_cast<const char*>(std::memchr(start, '\n', d.size() - scanned));
      const std::size_t length = nl != nullptr ? static_cast<std::size_t>(nl - start) : d.size() - scanned;
      const bool complete = nl != nullptr || buf_.eof();
      const std::size_t content = length - (complete && length > 0 && start[length - 1] == '\r' ? 1 : 0);
      if (complete ? content > line_limit_ : length > line_limit_ + 1) {
        if (scanned > 0) return take(scanned, lines);
        return skip_long_line();
      }
      if (nl == nullptr) {
        if (buf_.eof()) {
          if (length > 0) {
            scanned = d.size();  // the last line, without a line end
            ++lines;
          }
          if (scanned == 0) return Piece{};
          return take(scanned, lines);
        }
        buf_.fill(d.size() + kReadBlock);
        continue;
      }
      scanned += length + 1;
      ++lines;
    }
  }

  std::uint64_t bytes_consumed() const { return consumed_; }

 private:
  Piece take(std::size_t bytes, std::size_t lines) {
    Piece p;
    p.kind = Piece::Kind::lines;
    p.text = buf_.data().substr(0, bytes);
    p.first_line = line_;
    line_ += lines;
    taken_ = bytes;
    consumed_ += bytes;
    return p;
  }

  // Skips the line at the start of the buffer, reading as much as it takes
  // and holding no more than a read block of it.
  Piece skip_long_line() {
    Piece p;
    p.kind = Piece::Kind::long_line;
    p.first_line = line_++;
    std::size_t non_blank = 0;
    char last = 0;
    for (;;) {
      const std::string_view d = buf_.data();
      const auto* nl = static_cast<const char*>(std::memchr(d.data(), '\n', d.size()));
      const std::size_t n = nl != nullptr ? static_cast<std::size_t>(nl - d.data()) : d.size();
      for (std::size_t i = 0; i < n; ++i) non_blank += is_blank(d[i]) ? 0 : 1;
      if (n > 0) last = d[n - 1];
      p.length += n;
      const std::size_t used = n + (nl != nullptr ? 1 : 0);
      buf_.consume(used);
      consumed_ += used;
      if (nl != nullptr || buf_.eof()) break;
      buf_.fill(kReadBlock);
      if (buf_.data().empty()) break;
    }
    if (last == '\r') {
      --p.length;
      --non_blank;
    }
    p.blank = non_blank == 0;
    return p;
  }

  ReadBuffer& buf_;
  std::size_t line_limit_;
  CutRule rule_;
  std::size_t line_ = 1;    // the line at the start of the buffer
  std::size_t taken_ = 0;   // bytes of the last piece, consumed on the next call
  std::uint64_t consumed_ = 0;
};

// ---------------------------------------------------------------------------
// Telling line-oriented inputs from whole documents

enum class Verdict { yes, no, need_more };

// The decoders' own test for JSON lines (otlp_json.cc is_json_lines,
// cloudevents.cc): the first non-blank line is a whole object and more
// follows. Kubernetes JSON only needs the first line to be a whole object
// (its value scanner reads one object or many alike), after a byte order
// mark, which that decoder skips.
Verdict json_lines(std::string_view payload, bool eof, bool need_more_after, bool skip_bom) {
  if (skip_bom && payload.substr(0, 3) == "\xEF\xBB\xBF") payload.remove_prefix(3);
  const std::size_t first = payload.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return eof ? Verdict::no : Verdict::need_more;
  if (payload[first] != '{') return Verdict::no;
  const std::size_t newline = payload.find('\n', first);
  if (newline == std::string_view::npos) return eof ? Verdict::no : Verdict::need_more;
  std::string_view line = payload.substr(first, newline - first);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  if (line.size() < 2 || line.back() != '}') return Verdict::no;
  if (!need_more_after) return Verdict::yes;
  if (payload.find_first_not_of(" \t\r\n", newline) != std::string_view::npos) return Verdict::yes;
  return eof ? Verdict::no : Verdict::need_more;
}

std::string describe_whole_document(codec::Format f) {
  switch (f) {
    case codec::Format::k8s: return "a Kubernetes List, object or YAML stream";
    case codec::Format::cloudevents: return "a CloudEvents document";
    case codec::Format::otlp_logs:
    case codec::Format::otlp_metrics:
    case codec::Format::otlp_traces: return "an OTLP request";
    default: break;
  }
  return "a document";
}

std::string size_reason(std::size_t length, std::size_t limit) {
  return "line is " + std::to_string(length) + " bytes, over the " + std::to_string(limit) + "-byte limit";
}

}  // namespace

// ---------------------------------------------------------------------------

struct FileSource::Impl final : codec::RecordHandler {
  std::string path;
  codec::Format format = codec::Format::native;
  codec::DecodeOptions options;
  std::unique_ptr<codec::Decoder> decoder;
  ReadBuffer buffer;
  bool whole = false;   // read whole at open; decoded on the first call
  std::optional<LineChunker> chunker;
  std::size_t line_limit = 0;
  bool done = false;
  std::uint64_t whole_bytes = 0;
  std::uint64_t skipped = 0;

  // What a piece produced beyond the caller's batch, in file order.
  std::deque<std::variant<Record, RejectedRecord>> pending;
  std::vector<Record>* out = nullptr;
  std::vector<RejectedRecord>* rejected = nullptr;
  std::size_t limit = 0;

  // Positions as the decoder gives them -> whole-file lines.
  std::size_t first_line = 1;       // the piece's first line
  std::size_t preamble_lines = 0;   // lines put before the piece
  std::size_t fixed_position = 0;   // non-zero: every position is this line
  std::vector<std::size_t> chunk_rejects;  // whole-file lines refused in this piece

  // Prometheus text: the families' TYPE lines accepted so far, in order (the
  // decoder's latest family is the last), and what `# EOF` left unread.
  std::unordered_set<std::string> families;
  std::string preamble;
  std::string assembled;  // preamble + chunk + padding
  std::size_t eof_line = 0;
  std::size_t lines_after_eof = 0;
  std::size_t first_after_eof = 0;

  // ---- RecordHandler ----
  bool room() const { return pending.empty() && out->size() + rejected->size() < limit; }

  std::size_t whole_file_line(std::size_t position) const {
    if (fixed_position != 0) return fixed_position;
    if (position == 0) return 0;
    if (position <= preamble_lines) return first_line;  // never: the preamble was accepted before
    return position - preamble_lines + first_line - 1;
  }

  void on_record(const Record& record, std::size_t) override {
    if (room()) {
      out->push_back(record);
    } else {
      pending.emplace_back(std::in_place_index<0>, record);
    }
  }

  void on_reject(Error&& error, std::size_t position) override {
    const std::size_t line = whole_file_line(position);
    chunk_rejects.push_back(line);
    emit_reject(RejectedRecord{std::move(error), line});
  }

  void on_skip(std::string_view, std::size_t) override { ++skipped; }

  void emit_reject(RejectedRecord&& r) {
    if (room()) {
      rejected->push_back(std::move(r));
    } else {
      pending.emplace_back(std::in_place_index<1>, std::move(r));
    }
  }

  // ---- decoding ----
  void decode(std::string_view payload, std::size_t first, std::size_t preamble_count) {
    first_line = first;
    preamble_lines = preamble_count;
    fixed_position = 0;
    chunk_rejects.clear();
    decoder->decode(payload, *this);
  }

  std::size_t chunk_target() const {
    std::size_t target = FileSource::kChunkBytes;
    // Grow with the Prometheus preamble, so that it stays a small part of
    // what each chunk decodes.
    target = std::max(target, 4 * preamble.size());
    // The decoders that check max_payload_bytes see the chunk as a payload.
    return std::max<std::size_t>(1, std::min(target, options.max_payload_bytes / 2));
  }

  void step() {
    if (whole) {
      decode(buffer.data(), 1, 0);
      buffer.release();
      done = true;
      return;
    }
    const std::size_t max_lines = std::max({limit, kMinChunkLines, 4 * families.size()});
    const Piece piece = chunker->next(max_lines, chunk_target());
    switch (piece.kind) {
      case Piece::Kind::end: finish(); return;
      case Piece::Kind::long_line: on_long_line(piece); return;
      case Piece::Kind::lines: break;
    }
    switch (format) {
      case codec::Format::prometheus: decode_prometheus(piece); return;
      case codec::Format::k8s: decode_k8s(piece); return;
      case codec::Format::cloudevents:
      case codec::Format::otlp_logs:
      case codec::Format::otlp_metrics:
      case codec::Format::otlp_traces: decode_documents_by_line(piece); return;
      case codec::Format::native: break;
    }
    decode(piece.text, piece.first_line, 0);
  }

  void on_long_line(const Piece& piece) {
    if (piece.blank) return;  // blank lines are skipped, however long
    if (eof_line != 0) {
      count_after_eof(piece.first_line);
      return;
    }
    emit_reject(RejectedRecord{make_error("", size_reason(piece.length, line_limit)), piece.first_line});
  }

  void finish() {
    if (lines_after_eof != 0) {
      // As PrometheusTextDecoder reports them: once, at the first such line.
      emit_reject(RejectedRecord{
          make_error("", std::to_string(lines_after_eof) + " line(s) after the `# EOF` of line " +
                             std::to_string(eof_line) + " not read: `# EOF` ends the exposition"),
          first_after_eof});
      lines_after_eof = 0;
    }
    if (buffer.error()) {
      emit_reject(RejectedRecord{make_error(path, buffer.error()->reason), 0});
    }
    done = true;
  }

  // Kubernetes JSON: a chunk that does not start a JSON value (after a long
  // line was skipped) would be read as YAML; an empty array before it, which
  // decodes to nothing, keeps the decoder on JSON.
  void decode_k8s(const Piece& piece) {
    std::string_view text = piece.text;
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    const std::size_t first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos || text[first] == '{' || text[first] == '[') {
      decode(piece.text, piece.first_line, 0);
      return;
    }
    assembled.assign("[]\n");
    assembled.append(piece.text);
    const std::size_t size = assembled.size();
    assembled.resize(size + kPadding);
    decode(std::string_view(assembled.data(), size), piece.first_line, 1);
  }

  // OTLP and CloudEvents JSON lines: each line is decoded on its own, as the
  // decoders do in a JSON-lines payload. Handing them a chunk instead would
  // let them judge JSON lines again on its first line, which a single
  // malformed line would fail.
  void decode_documents_by_line(const Piece& piece) {
    // (Lines over the limit never get here: the chunker skipped them.)
    for_each_line(piece.text, [&](std::string_view line, std::size_t n) {
      const std::size_t line_no = piece.first_line + n - 1;
      first_line = line_no;
      preamble_lines = 0;
      fixed_position = line_no;
      decoder->decode(line, *this);
    });
    fixed_position = 0;
  }

  void count_after_eof(std::size_t line_no) {
    if (lines_after_eof++ == 0) first_after_eof = line_no;
  }

  // Prometheus text, chunk by chunk, as the decoder reads the whole file: the
  // families' TYPEs carry over in a preamble, and `# EOF` ends the reading.
  void decode_prometheus(const Piece& piece) {
    if (eof_line != 0) {
      for_each_line(piece.text, [&](std::string_view, std::size_t n) { count_after_eof(piece.first_line + n - 1); });
      return;
    }
    // The TYPE lines of this chunk, and a `# EOF`, found as the decoder's
    // read_comment finds them.
    struct TypeLine {
      std::size_t line;
      std::string_view name;
      std::string_view type;
    };
    std::vector<TypeLine> types;
    std::string_view text = piece.text;
    std::size_t eof_at = 0;  // chunk-relative line of `# EOF`
    for_each_line(text, [&](std::string_view line, std::size_t n) {
      std::size_t pos = skip_blanks(line, 0);
      if (line[pos] != '#') return true;
      ++pos;
      if (pos >= line.size() || !is_blank(line[pos])) return true;
      pos = skip_blanks(line, pos);
      const std::string_view keyword = next_token(line, pos);
      if (keyword == "EOF" && skip_blanks(line, pos) == line.size()) {
        eof_at = n;
        return false;
      }
      if (keyword == "TYPE") {
        pos = skip_blanks(line, pos);
        const std::string_view name = next_token(line, pos);
        pos = skip_blanks(line, pos);
        types.push_back({piece.first_line + n - 1, name, next_token(line, pos)});
      }
      return true;
    });
    std::string_view rest;
    if (eof_at != 0) {
      // The chunk ends after `# EOF`; what follows is counted, not decoded.
      std::size_t end = 0;
      for (std::size_t k = 0; k < eof_at; ++k) {
        const std::size_t nl = text.find('\n', end);
        end = nl == std::string_view::npos ? text.size() : nl + 1;
      }
      rest = text.substr(end);
      text = text.substr(0, end);
    }
    if (preamble.empty()) {
      decode(text, piece.first_line, 0);
    } else {
      assembled.assign(preamble);
      assembled.append(text);
      const std::size_t size = assembled.size();
      assembled.resize(size + kPadding);
      decode(std::string_view(assembled.data(), size), piece.first_line, families.size());
    }
    // A TYPE line the decoder did not refuse is one it recorded (and its
    // family became the current one).
    std::sort(chunk_rejects.begin(), chunk_rejects.end());
    for (const TypeLine& t : types) {
      if (std::binary_search(chunk_rejects.begin(), chunk_rejects.end(), t.line)) continue;
      if (!families.emplace(t.name).second) continue;
      preamble.append("# TYPE ").append(t.name).append(" ").append(t.type).append("\n");
    }
    if (eof_at != 0) {
      eof_line = piece.first_line + eof_at - 1;
      const std::size_t rest_first = eof_line + 1;
      for_each_line(rest, [&](std::string_view, std::size_t n) { count_after_eof(rest_first + n - 1); });
    }
  }
};

FileSource::FileSource(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FileSource::~FileSource() = default;

Result<std::unique_ptr<FileSource>> FileSource::open(const std::string& path, std::optional<codec::Format> format,
                                                     const codec::DecodeOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->options = options;
  auto stream = open_stream(path);
  if (!stream) return stream.error();
  ReadBuffer& buffer = impl->buffer;
  buffer.attach(std::move(*stream));
  buffer.fill(64 * 1024);  // what detect_format looks at
  if (buffer.error()) return make_error(path, buffer.error()->reason);

  std::string_view name = path;
  if (ends_with(name, ".gz")) name.remove_suffix(3);
  if (format) {
    impl->format = *format;
  } else if (buffer.data().find_first_not_of(" \t\r\n") == std::string_view::npos && buffer.eof()) {
    impl->format = codec::Format::native;  // nothing to read in any format
  } else {
    auto detected = codec::detect_format(buffer.data(), name);
    if (!detected) return make_error(path, detected.error().reason);
    impl->format = *detected;
  }

  const codec::Format f = impl->format;
  const bool otlp = f == codec::Format::otlp_logs || f == codec::Format::otlp_metrics ||
                    f == codec::Format::otlp_traces;
  bool lines = f == codec::Format::native || f == codec::Format::prometheus;
  if (!lines) {
    for (;;) {
      const Verdict v = json_lines(buffer.data(), buffer.eof(), /*need_more_after=*/f != codec::Format::k8s,
                                   /*skip_bom=*/f == codec::Format::k8s);
      if (v != Verdict::need_more || buffer.data().size() > options.max_payload_bytes) {
        lines = v == Verdict::yes;
        break;
      }
      buffer.fill(buffer.data().size() + kReadBlock);
    }
    if (buffer.error()) return make_error(path, buffer.error()->reason);
  }
  impl->decoder = codec::make_decoder(f, options);
  if (lines) {
    impl->line_limit = otlp ? options.max_payload_bytes : options.max_record_bytes;
    impl->chunker.emplace(buffer, impl->line_limit,
                          f == codec::Format::k8s ? CutRule::k8s_value : CutRule::any_line);
  } else {
    // A whole document: read it now, so that one too large is refused here.
    while (!buffer.eof() && buffer.data().size() <= options.max_payload_bytes) {
      buffer.fill(std::min(2 * buffer.data().size() + kReadBlock, options.max_payload_bytes + 1));
    }
    if (buffer.error()) return make_error(path, buffer.error()->reason);
    if (buffer.data().size() > options.max_payload_bytes) {
      return make_error(path, "holds " + describe_whole_document(f) + ", which is read whole, and it is over the " +
                                  std::to_string(options.max_payload_bytes) +
                                  "-byte limit (max_payload_bytes); only line-oriented files are read in chunks");
    }
    impl->whole = true;
    impl->whole_bytes = buffer.data().size();
  }
  return std::unique_ptr<FileSource>(new FileSource(std::move(impl)));
}

bool FileSource::next_batch(std::vector<Record>& out, std::vector<RejectedRecord>& rejected, std::size_t max_records) {
  Impl& s = *impl_;
  out.clear();
  rejected.clear();
  s.out = &out;
  s.rejected = &rejected;
  s.limit = std::max<std::size_t>(1, max_records);
  while (!s.pending.empty() && out.size() + rejected.size() < s.limit) {
    auto& front = s.pending.front();
    if (front.index() == 0) {
      out.push_back(std::move(std::get<0>(front)));
    } else {
      rejected.push_back(std::move(std::get<1>(front)));
    }
    s.pending.pop_front();
  }
  while (s.pending.empty() && out.size() + rejected.size() < s.limit && !s.done) s.step();
  s.out = nullptr;
  s.rejected = nullptr;
  return !out.empty() || !rejected.empty();
}

const std::string& FileSource::path() const { return impl_->path; }
codec::Format FileSource::format() const { return impl_->format; }

std::uint64_t FileSource::bytes_read() const {
  if (impl_->whole) return impl_->done ? impl_->whole_bytes : 0;
  return impl_->chunker->bytes_consumed();
}

std::uint64_t FileSource::skipped_objects() const { return impl_->skipped; }

Status FileSource::status() const {
  if (impl_->buffer.error()) return make_error(impl_->path, impl_->buffer.error()->reason);
  return ok_status();
}

}  // namespace eventlens::source
