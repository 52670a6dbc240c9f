#include "stream/checkpoint_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <vector>

#include "stream/state_io.h"

namespace eventlens::stream {

namespace {

// Keys: the manifest (commit count and part names) and one key per part.
// The manifest is rewritten by every commit, in the same batch as the parts,
// so it always names exactly the parts of the last commit.
constexpr std::string_view kManifestKey = "manifest";
std::string part_key(const std::string& name) { return "part/" + name; }

struct Manifest {
  std::uint64_t commits = 0;
  std::vector<std::string> parts;
};

std::string encode_manifest(const Manifest& m) {
  StateWriter w;
  w.u64(m.commits);
  w.count(m.parts.size());
  for (const std::string& p : m.parts) w.str(p);
  return w.finish();
}

Result<Manifest> decode_manifest(std::string_view bytes) {
  StateReader r(bytes, "checkpoint manifest");
  Manifest m;
  m.commits = r.u64();
  const std::size_t n = r.count(8);
  for (std::size_t i = 0; i < n && r.ok(); ++i) m.parts.push_back(r.str());
  if (auto s = r.finish(); !s.ok()) return s.error();
  return m;
}

}  // namespace

struct CheckpointStore::Impl {
  std::string dir;
  std::unique_ptr<rocksdb::DB> db;
  Manifest manifest;  // of the last commit

  Error error(const rocksdb::Status& s) const { return make_error(dir, "checkpoint store: " + s.ToString()); }
};

CheckpointStore::CheckpointStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CheckpointStore::~CheckpointStore() = default;

Result<std::unique_ptr<CheckpointStore>> CheckpointStore::open(const std::string& dir) {
  std::error_code ec;
  namespace fs = std::filesystem;
  // A directory given by mistake (a home, an output directory) is not
  // filled with database files.
  if (fs::is_directory(dir, ec) && !fs::is_empty(dir, ec) && !fs::exists(fs::path(dir) / "CURRENT", ec)) {
    return make_error(dir, "is not a checkpoint store: it holds other files");
  }
  fs::create_directories(dir, ec);
  if (ec) return make_error(dir, "cannot be created: " + ec.message());
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  rocksdb::Options options;
  options.create_if_missing = true;
  // A checkpoint is a few large values, each garbage once the next commits:
  // a small memtable is flushed (and its dead values compacted away) sooner,
  // so the directory holds a few checkpoints' worth, not 64 MiB of log.
  options.write_buffer_size = 16 << 20;
  options.keep_log_file_num = 2;
  rocksdb::DB* db = nullptr;
  if (auto s = rocksdb::DB::Open(options, dir, &db); !s.ok()) return impl->error(s);
  impl->db.reset(db);
  std::string bytes;
  auto s = impl->db->Get(rocksdb::ReadOptions(), rocksdb::Slice(kManifestKey.data(), kManifestKey.size()), &bytes);
  if (s.ok()) {
    auto m = decode_manifest(bytes);
    if (!m.ok()) return make_error(dir, m.error().to_string());
    impl->manifest = std::move(*m);
  } else if (!s.IsNotFound()) {
    return impl->error(s);
  }
  return std::unique_ptr<CheckpointStore>(new CheckpointStore(std::move(impl)));
}

Status CheckpointStore::write(const Parts& parts) {
  Manifest next;
  next.commits = impl_->manifest.commits + 1;
  rocksdb::WriteBatch batch;
  for (const std::string& old : impl_->manifest.parts) {
    if (parts.count(old) == 0) batch.Delete(part_key(old));
  }
  for (const auto& [name, bytes] : parts) {
    batch.Put(part_key(name), bytes);
    next.parts.push_back(name);
  }
  batch.Put(rocksdb::Slice(kManifestKey.data(), kManifestKey.size()), encode_manifest(next));
  rocksdb::WriteOptions options;
  options.sync = true;
  if (auto s = impl_->db->Write(options, &batch); !s.ok()) return impl_->error(s);
  impl_->manifest = std::move(next);
  return ok_status();
}

Result<std::optional<CheckpointStore::Parts>> CheckpointStore::read() const {
  if (impl_->manifest.commits == 0) return std::optional<Parts>();
  Parts parts;
  for (const std::string& name : impl_->manifest.parts) {
    std::string bytes;
    auto s = impl_->db->Get(rocksdb::ReadOptions(), part_key(name), &bytes);
    if (s.IsNotFound()) {
      return make_error(impl_->dir, "checkpoint store: part " + name + " of the last commit is missing");
    }
    if (!s.ok()) return impl_->error(s);
    parts.emplace(name, std::move(bytes));
  }
  return std::optional<Parts>(std::move(parts));
}

std::uint64_t CheckpointStore::commits() const { return impl_->manifest.commits; }

}  // namespace eventlens::stream
