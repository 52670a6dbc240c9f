// The service dependency graph: caller -> callee edges learned from traces
// (a span whose parent span belongs to another service) merged with the
// configured `topology:`. Used to find the services an incident could have
// come from and how far they are. Plain value; rebuilt when edges change.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace eventlens::correlate {

class ServiceGraph {
 public:
  void add_edge(const std::string& caller, const std::string& callee);
  bool empty() const { return calls_.empty(); }
  const std::set<std::string>& callees(const std::string& service) const;
  const std::set<std::string>& callers(const std::string& service) const;

  // Hops from `from` down its calls to `to` (0 when equal), -1 when `to` is
  // not a (transitive) dependency of `from`.
  int distance_down(const std::string& from, const std::string& to) const;
  // Hops ignoring direction; -1 when not connected.
  int distance_any(const std::string& from, const std::string& to) const;
  // Every service within `max_hops` of `service` in either direction, with
  // its undirected distance (the service itself at 0).
  std::map<std::string, int> neighbourhood(const std::string& service, int max_hops) const;
  std::size_t edge_count() const;
  // Changes whenever an edge is added: what caches of graph-derived work key on.
  std::uint64_t version() const { return version_; }
  // Every edge as (caller, callee), ordered: what a checkpoint saves.
  std::vector<std::pair<std::string, std::string>> edges() const;

 private:
  std::map<std::string, std::set<std::string>> calls_;
  std::map<std::string, std::set<std::string>> called_by_;
  std::uint64_t version_ = 0;
};

}  // namespace eventlens::correlate
