# Every dependency comes from Debian 12's packages (scripts/setup installs
# them); docs/dependencies.md says why each was chosen.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(simdjson REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(ZLIB REQUIRED)
# Boost.Beast and Boost.Asio: header-only.
find_package(Boost 1.74 REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
# rdkafka++ for the clients; rdkafka itself for the admin calls its C++ API lacks.
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka++ rdkafka)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
# Debian ships rocksdb.pc and a CMake package. The package looks up again
# every library RocksDB was built with (gflags, Snappy, BZip2, lz4, zstd),
# which the shared library links already: pkg-config is the lighter way, and
# the one the other libraries here use.
pkg_check_modules(ROCKSDB REQUIRED IMPORTED_TARGET rocksdb)
if(NOT EVENTLENS_FUZZ)
  find_package(GTest REQUIRED)
  if(EVENTLENS_BENCH)
    find_package(benchmark REQUIRED)
  endif()
endif()
