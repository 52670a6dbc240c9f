// Counter-based randomness: every draw is a pure function of (seed, stream,
// entity, time), so two copies of a cluster (the factual run and a
// counterfactual twin) see the same noise and differ only by their causes.
// Pure functions; callable from any thread.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>

namespace eventlens::simulate {

// What a draw is for; keeps the streams of different purposes apart.
enum class Stream : std::uint64_t {
  traffic = 1, latency_noise, memory_noise, pod_jitter, fault_time, fault_target,
  provisioning, trace, log, metric_noise, names, event_order,
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

// Returns a standard normal draw (Box-Muller on two counter draws).
inline double normal(std::uint64_t seed, Stream s, std::uint64_t a, std::uint64_t b = 0,
                     std::uint64_t c = 0) {
  const double u1 = 1.0 - uniform(seed, s, a, b, c * 2 + 1);  // (0, 1]
  const double u2 = uniform(seed, s, a, b, c * 2 + 2);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
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
