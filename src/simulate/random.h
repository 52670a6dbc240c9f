// Counter-based randomness: every draw is a pure function of (seed, stream,
// entity, time), so two copies of a cluster (the factual run and a
// counterfactual twin) see the same noise and differ only by their causes.
// Pure functions; callable from any thread.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

namespace eventlens::simulate {

// What a draw is for; keeps the streams of different purposes apart. New
// purposes go at the end: a stream's number is part of every draw it makes,
// so inserting one would change the output of every scenario.
enum class Stream : std::uint64_t {
  traffic = 1, latency_noise, memory_noise, pod_jitter, fault_time, fault_target,
  provisioning, trace, log, metric_noise, names, event_order,
  call,     // client spans: ids of the calls in a trace, network delays, rejected answers
  burst,    // bursts and batch jobs of entry traffic
  release,  // release waves: which services deploy with the faulty one, and when
};

inline std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

inline std::uint64_t draw(std::uint64_t seed, Stream s, std::uint64_t a, std::uint64_t b = 0,
                          std::uint64_t c = 0) {
  std::uint64_t h = mix64(seed + 0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(s));
  h = mix64(h ^ (a + 0x9e3779b97f4a7c15ULL));
  h = mix64(h ^ (b + 0xc2b2ae3d27d4eb4fULL));
  return mix64(h ^ (c + 0x165667b19e3779f9ULL));
}

// Returns a uniform double in [0, 1).
inline double uniform(std::uint64_t seed, Stream s, std::uint64_t a, std::uint64_t b = 0,
                      std::uint64_t c = 0) {
  return static_cast<double>(draw(seed, s, a, b, c) >> 11) * 0x1.0p-53;
}

// Returns an approximately standard normal draw: the sum of four 16-bit
// uniforms from one counter draw, centred and scaled (Irwin-Hall). Tails end
// at ±3.46 σ, which noise needs no more than; it costs no log or cos, and the
// simulator takes one per pod per second.
inline double normal(std::uint64_t seed, Stream s, std::uint64_t a, std::uint64_t b = 0,
                     std::uint64_t c = 0) {
  const std::uint64_t bits = draw(seed, s, a, b, c);
  const double sum = static_cast<double>(bits & 0xffff) + static_cast<double>((bits >> 16) & 0xffff) +
                     static_cast<double>((bits >> 32) & 0xffff) + static_cast<double>(bits >> 48);
  // Each term is uniform on [0, 65535]: mean 2 * 65535, variance 4 * 65536^2 / 12.
  constexpr double kMean = 2.0 * 65535.0;
  constexpr double kSd = 65536.0 / 1.7320508075688772;  // sqrt(4/12) * 65536
  return (sum - kMean) / kSd;
}

// Returns a FNV-1a hash of `text`: turns a service name into an entity key.
inline std::uint64_t key_of(const std::string& text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

// Appends `n` lowercase hex digits of draw(...) (n <= 16 per draw).
inline void append_hex(std::string& out, std::uint64_t bits, int n) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = n - 1; i >= 0; --i) out += kHex[(bits >> (4 * i)) & 0xf];
}

}  // namespace eventlens::simulate
