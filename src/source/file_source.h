// FileSource: reads one input file (plain or .gz) in any codec format and
// hands out its records batch by batch in file order, in bounded memory.
// One thread uses a FileSource; it owns its decoder and buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codec/decoder.h"
#include "model/records.h"
#include "model/result.h"

namespace eventlens::source {

// A record the decoder (or the file reader) refused. `position` is the
// 1-based line in the whole file, 0 when the format has no lines (a whole
// document) or the fault is the file's, not a line's (a read error).
struct RejectedRecord {
  Error error;
  std::size_t position = 0;
};

// How a file is read: the rule that keeps memory bounded.
//
// Line-oriented inputs are read in chunks of about kChunkBytes, cut at line
// boundaries, and decoded chunk by chunk; line numbers stay whole-file. They
// are: native JSON lines, Prometheus text, Kubernetes watch lines (JSON whose
// first line is a whole object), and OTLP or CloudEvents files that hold one
// JSON document per line (the decoders' own JSON-lines test: the first line is
// a whole object and more follows). Chunking gives exactly the records and
// the rejected positions that decoding the whole file at once gives, with two
// deliberate differences: the file as a whole is not held to
// max_payload_bytes (that is what chunking is for), and a line over the
// per-line limit is refused by the reader ("line is N bytes, over the M-byte
// limit"), which skips it without holding it, rather than by the decoder in
// its own words. The per-line limit is max_record_bytes, except for OTLP,
// whose lines are whole requests: max_payload_bytes. The read buffer grows by
// doubling, so it stays under twice the larger of kChunkBytes and the
// per-line limit (plus a 1 MiB read block).
//
// Two formats keep state across lines. Prometheus text: each chunk after the
// first is decoded behind a preamble of the TYPE lines the decoder accepted
// so far, and what follows a `# EOF` is counted to the end of the file and
// reported once, as the decoder reports it. Kubernetes JSON: a value may span
// lines, so a chunk ends only where the decoder's value scanner would end a
// value anyway (before a line starting with '{' that cannot continue one),
// or, with no such place in sight, at four times kChunkBytes.
//
// Whole-document inputs (a Kubernetes List, object or YAML stream, a
// pretty-printed OTLP request or CloudEvents batch) are read whole when the
// source is opened, and refused there when larger than max_payload_bytes.
class FileSource {
 public:
  // The chunk size of line-oriented inputs.
  static constexpr std::size_t kChunkBytes = std::size_t{4} << 20;

  // Opens `path` ("-" is standard input); a name ending in .gz is
  // decompressed as a stream (zlib). No `format`: detected from the first
  // bytes and the name without .gz (codec::detect_format); an empty file
  // reads as an empty native one. Returns an Error whose field is the path
  // when the file cannot be read, its format cannot be told, or a whole
  // document is over max_payload_bytes.
  static Result<std::unique_ptr<FileSource>> open(const std::string& path, std::optional<codec::Format> format,
                                                  const codec::DecodeOptions& options);
  ~FileSource();
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  // Decodes the next records in file order into `out` and the rejections
  // among them into `rejected` (both cleared first; records are copies, the
  // decoder only lends them). At most `max_records` records and rejections
  // together come out per call (0 counts as 1); what a chunk or a document
  // produced beyond that waits for the next call, so a batch never
  // overshoots, and what waits is at most one chunk's (or one document's)
  // records. A read error (a truncated .gz, a failing disk) ends the file: it
  // comes out as a rejection whose field is the path, and status() keeps it.
  // Returns false once the file is exhausted and nothing was produced.
  // Never throws.
  bool next_batch(std::vector<Record>& out, std::vector<RejectedRecord>& rejected, std::size_t max_records);

  const std::string& path() const;
  codec::Format format() const;
  // Decompressed bytes consumed so far (handed to the decoder or skipped).
  std::uint64_t bytes_read() const;
  // Well-formed objects of kinds the format does not turn into records (Pods
  // in a Kubernetes watch stream): counted, not errors.
  std::uint64_t skipped_objects() const;
  // Ok, or the read error that ended the file early.
  Status status() const;

 private:
  struct Impl;
  explicit FileSource(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace eventlens::source
