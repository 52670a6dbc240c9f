// TEMPORARY: filled in with the decode benchmark.
#include "cli/bench_command.h"
namespace eventlens::cli {
int run_bench_decode(const BenchDecodeOptions&) { return 0; }
}  // namespace eventlens::cli
