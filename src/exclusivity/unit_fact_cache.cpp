#include "exclusivity/unit_fact_cache.hpp"

#include <iterator>

namespace lifeline::exclusivity {

void UnitFactCache::forget_all() {
  ++generation_;
  files_known_ = false;
  files_.clear();
  facts_.clear();
  changed_.clear();
}

void UnitFactCache::unit_changed(const std::string& name) {
  // Also a unit not cached yet: its read may be under way, and must not be stored.
  if (name.ends_with(".service")) changed_.insert(name);
}

void UnitFactCache::store_files(std::vector<ListedUnitFile> files, std::uint64_t generation) {
  if (generation != generation_) return;
  files_ = std::move(files);
  files_known_ = true;
}

const UnitFact* UnitFactCache::fresh(const std::string& name) const {
  if (changed_.contains(name)) return nullptr;
  const auto found = facts_.find(name);
  return found == facts_.end() ? nullptr : &found->second;
}

void UnitFactCache::take(const std::string& name) {
  changed_.erase(name);
}

void UnitFactCache::store(const UnitFact& fact, std::uint64_t generation) {
  if (generation != generation_ || changed_.contains(fact.name)) return;
  facts_[fact.name] = fact;
}

void UnitFactCache::keep_only(const std::set<std::string>& names) {
  for (auto it = facts_.begin(); it != facts_.end();) {
    it = names.contains(it->first) ? std::next(it) : facts_.erase(it);
  }
  for (auto it = changed_.begin(); it != changed_.end();) {
    it = names.contains(*it) ? std::next(it) : changed_.erase(it);
  }
}

}  // namespace lifeline::exclusivity
