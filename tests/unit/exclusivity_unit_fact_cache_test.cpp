// UnitFactCache: which units a survey after a signal reads again, and which it may take
// from the last survey. A wrong answer here is a duplicate unit judged on stale facts.
#include <gtest/gtest.h>

#include "exclusivity/unit_fact_cache.hpp"

namespace lifeline::exclusivity {
namespace {

UnitFact fact(const std::string& name, const std::string& exec) {
  UnitFact f;
  f.name = name;
  f.active_state = "active";
  f.unit_file_state = "enabled";
  f.exec_start = {{exec, {exec}}};
  return f;
}

// A survey as SystemdUnits makes it: take, read, store under the generation it began in.
void survey(UnitFactCache& cache, const std::vector<UnitFact>& read) {
  const std::uint64_t generation = cache.generation();
  for (const UnitFact& f : read) cache.take(f.name);
  for (const UnitFact& f : read) cache.store(f, generation);
}

TEST(UnitFactCache, NothingIsKnownUntilASurveyStoredIt) {
  UnitFactCache cache;
  EXPECT_FALSE(cache.files_known());
  EXPECT_EQ(cache.fresh("mediamtx.service"), nullptr);
  survey(cache, {fact("mediamtx.service", "/usr/local/bin/mediamtx")});
  ASSERT_NE(cache.fresh("mediamtx.service"), nullptr);
  EXPECT_EQ(cache.fresh("mediamtx.service")->exec_start[0].path, "/usr/local/bin/mediamtx");
}

TEST(UnitFactCache, ASignalNamingAUnitMakesOnlyThatUnitBeReadAgain) {
  UnitFactCache cache;
  survey(cache, {fact("avatar-tank.service", "/usr/bin/python3"),
                 fact("mediamtx.service", "/usr/local/bin/mediamtx")});
  cache.unit_changed("mediamtx.service");  // JobRemoved: it was started
  EXPECT_EQ(cache.fresh("mediamtx.service"), nullptr);
  EXPECT_NE(cache.fresh("avatar-tank.service"), nullptr);
  survey(cache, {fact("mediamtx.service", "/usr/local/bin/mediamtx")});
  EXPECT_NE(cache.fresh("mediamtx.service"), nullptr);
}

TEST(UnitFactCache, AUnitFileChangeForgetsEverythingAndTheFileList) {
  UnitFactCache cache;
  cache.store_files({{"mediamtx.service", "enabled"}}, cache.generation());
  survey(cache, {fact("mediamtx.service", "/usr/local/bin/mediamtx")});
  ASSERT_TRUE(cache.files_known());
  cache.forget_all();  // UnitFilesChanged, a finished Reloading, the sweep, a lost bus
  EXPECT_FALSE(cache.files_known());
  EXPECT_TRUE(cache.files().empty());
  EXPECT_EQ(cache.fresh("mediamtx.service"), nullptr);
  EXPECT_EQ(cache.size(), 0U);
}

TEST(UnitFactCache, ASurveyThatBeganBeforeAFileChangeStoresNothing) {
  UnitFactCache cache;
  const std::uint64_t began = cache.generation();
  cache.take("mediamtx.service");
  cache.forget_all();  // a daemon-reload while the survey's reads were under way
  cache.store(fact("mediamtx.service", "/usr/local/bin/mediamtx"), began);
  cache.store_files({{"mediamtx.service", "enabled"}}, began);
  EXPECT_EQ(cache.fresh("mediamtx.service"), nullptr);
  EXPECT_FALSE(cache.files_known());
}

TEST(UnitFactCache, ASignalDuringTheUnitsReadKeepsItsAnswerOut) {
  UnitFactCache cache;
  const std::uint64_t began = cache.generation();
  cache.take("rtsp-copy.service");
  cache.unit_changed("rtsp-copy.service");  // started while its properties were on the way
  cache.store(fact("rtsp-copy.service", "/usr/local/bin/mediamtx"), began);
  EXPECT_EQ(cache.fresh("rtsp-copy.service"), nullptr);
}

TEST(UnitFactCache, OnlyServicesAreTrackedAndGoneUnitsAreDropped) {
  UnitFactCache cache;
  survey(cache, {fact("a.service", "/bin/a"), fact("b.service", "/bin/b")});
  cache.unit_changed("dev-vda.device");  // boot's job storm names every kind of unit
  cache.keep_only({"a.service"});        // b.service's file was removed
  EXPECT_EQ(cache.size(), 1U);
  EXPECT_NE(cache.fresh("a.service"), nullptr);
  EXPECT_EQ(cache.fresh("b.service"), nullptr);
}

}  // namespace
}  // namespace lifeline::exclusivity
