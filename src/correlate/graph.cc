#include "correlate/graph.h"

#include <deque>

namespace eventlens::correlate {

namespace {
const std::set<std::string> kNone;
}

void ServiceGraph::add_edge(const std::string& caller, const std::string& callee) {
  if (caller == callee || caller.empty() || callee.empty()) return;
  if (!calls_[caller].insert(callee).second) return;
  called_by_[callee].insert(caller);
  ++version_;
}

const std::set<std::string>& ServiceGraph::callees(const std::string& service) const {
  auto it = calls_.find(service);
  return it == calls_.end() ? kNone : it->second;
}

const std::set<std::string>& ServiceGraph::callers(const std::string& service) const {
  auto it = called_by_.find(service);
  return it == called_by_.end() ? kNone : it->second;
}

int ServiceGraph::distance_down(const std::string& from, const std::string& to) const {
  if (from == to) return 0;
  std::map<std::string, int> seen{{from, 0}};
  std::deque<std::string> queue{from};
  while (!queue.empty()) {
    const std::string s = queue.front();
    queue.pop_front();
    for (const std::string& next : callees(s)) {
      if (seen.count(next) != 0) continue;
      seen[next] = seen[s] + 1;
      if (next == to) return seen[next];
      queue.push_back(next);
    }
  }
  return -1;
}

std::map<std::string, int> ServiceGraph::neighbourhood(const std::string& service, int max_hops) const {
  std::map<std::string, int> seen{{service, 0}};
  std::deque<std::string> queue{service};
  while (!queue.empty()) {
    const std::string s = queue.front();
    queue.pop_front();
    const int d = seen[s];
    if (d >= max_hops) continue;
    for (const auto* side : {&callees(s), &callers(s)}) {
      for (const std::string& next : *side) {
        if (seen.emplace(next, d + 1).second) queue.push_back(next);
      }
    }
  }
  return seen;
}

int ServiceGraph::distance_any(const std::string& from, const std::string& to) const {
  const auto near = neighbourhood(from, 64);
  auto it = near.find(to);
  return it == near.end() ? -1 : it->second;
}

std::size_t ServiceGraph::edge_count() const {
  std::size_t n = 0;
  for (const auto& [caller, callees] : calls_) n += callees.size();
  return n;
}

std::vector<std::pair<std::string, std::string>> ServiceGraph::edges() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [caller, callees] : calls_) {
    for (const std::string& callee : callees) out.emplace_back(caller, callee);
  }
  return out;
}

}  // namespace eventlens::correlate
