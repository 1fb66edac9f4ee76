// Start classification, the boot-loop lockout policy, and the persisted reset history
// (JSON round trip, rejection of bad files, load/save on a temp dir).
#include "watchdog/reset_history.hpp"

#include <gtest/gtest.h>
#include <linux/watchdog.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace lifeline {
namespace {

constexpr std::int64_t kT0 = 1'700'000'000;
const LockoutConfig kPolicy{3, std::chrono::minutes(15)};  // 900 s

// One boot: assess, and optionally stop cleanly before the next one.
ResetHistory boot(const std::optional<ResetHistory>& previous, const std::string& boot_id,
                  std::uint32_t status, std::int64_t now_s, bool clean_stop,
                  StartAssessment* out = nullptr) {
  StartAssessment assessment = assess_start(previous, boot_id, status, now_s, kPolicy);
  if (out != nullptr) *out = assessment;
  if (clean_stop) mark_clean_stop(assessment.next, now_s + 10);
  return assessment.next;
}

TEST(ResetHistory, FirstStartWithoutHistory) {
  const auto a = assess_start(std::nullopt, "boot-a", 0, kT0, kPolicy);
  EXPECT_EQ(a.reason, StartReason::first_start);
  EXPECT_TRUE(a.new_boot);
  EXPECT_FALSE(a.entered_lockout);
  EXPECT_EQ(a.next.boot_id, "boot-a");
  EXPECT_TRUE(a.next.agent_running);
  EXPECT_EQ(a.next.last_start_s, kT0);
  EXPECT_EQ(a.next.boot_count, 1U);
  EXPECT_EQ(a.next.consecutive_unclean, 0U);
  EXPECT_EQ(a.next.last_boot_status, 0U);
  EXPECT_EQ(a.next.last_start_reason, "first_start");
  EXPECT_TRUE(a.next.unclean_resets_s.empty());
  EXPECT_FALSE(a.next.lockout);
}

TEST(ResetHistory, FirstStartAfterCardResetIsAWatchdogReset) {
  const auto a = assess_start(std::nullopt, "boot-a", WDIOF_CARDRESET, kT0, kPolicy);
  EXPECT_EQ(a.reason, StartReason::watchdog_reset);
  EXPECT_EQ(a.next.consecutive_unclean, 1U);
  EXPECT_EQ(a.next.unclean_resets_s, (std::vector<std::int64_t>{kT0}));
  EXPECT_EQ(a.next.last_boot_status, static_cast<std::uint32_t>(WDIOF_CARDRESET));
}

TEST(ResetHistory, SameBootAfterCleanStopIsAnAgentRestart) {
  const ResetHistory first = boot(std::nullopt, "boot-a", 0, kT0, true);
  const auto a = assess_start(first, "boot-a", 0, kT0 + 60, kPolicy);
  EXPECT_EQ(a.reason, StartReason::agent_restart);
  EXPECT_FALSE(a.new_boot);
  EXPECT_EQ(a.next.boot_count, 1U);
  EXPECT_EQ(a.next.last_start_s, kT0 + 60);
  EXPECT_EQ(a.next.last_clean_stop_s, kT0 + 10);  // mark_clean_stop(now + 10) in boot()
  EXPECT_FALSE(first.agent_running);
  EXPECT_TRUE(a.next.agent_running);
  EXPECT_EQ(a.next.last_start_reason, "agent_restart");
}

TEST(ResetHistory, SameBootWithoutCleanStopIsAnAgentCrashNotAReset) {
  const ResetHistory first = boot(std::nullopt, "boot-a", 0, kT0, false);
  // The boot status still reads CARDRESET in the same boot: not a new reset.
  const auto a = assess_start(first, "boot-a", WDIOF_CARDRESET, kT0 + 60, kPolicy);
  EXPECT_EQ(a.reason, StartReason::agent_crashed);
  EXPECT_FALSE(a.new_boot);
  EXPECT_EQ(a.next.boot_count, 1U);
  EXPECT_EQ(a.next.consecutive_unclean, 0U);
  EXPECT_TRUE(a.next.unclean_resets_s.empty());
}

TEST(ResetHistory, NewBootAfterCleanStopIsACleanReboot) {
  const ResetHistory first = boot(std::nullopt, "boot-a", 0, kT0, true);
  const auto a = assess_start(first, "boot-b", WDIOF_OVERHEAT, kT0 + 100, kPolicy);
  EXPECT_EQ(a.reason, StartReason::clean_reboot);
  EXPECT_TRUE(a.new_boot);
  EXPECT_EQ(a.next.boot_count, 2U);
  EXPECT_EQ(a.next.boot_id, "boot-b");
  EXPECT_EQ(a.next.last_boot_status, static_cast<std::uint32_t>(WDIOF_OVERHEAT));
}

TEST(ResetHistory, NewBootWithCardResetIsAWatchdogResetEvenAfterCleanStop) {
  const ResetHistory first = boot(std::nullopt, "boot-a", 0, kT0, true);
  const auto a =
      assess_start(first, "boot-b", WDIOF_CARDRESET | WDIOF_OVERHEAT, kT0 + 100, kPolicy);
  EXPECT_EQ(a.reason, StartReason::watchdog_reset);
  EXPECT_EQ(a.next.consecutive_unclean, 1U);
  EXPECT_EQ(a.next.unclean_resets_s, (std::vector<std::int64_t>{kT0 + 100}));
  EXPECT_EQ(a.next.last_start_reason, "watchdog_reset");
}

TEST(ResetHistory, NewBootWithoutCleanStopIsAnUncleanReboot) {
  const ResetHistory first = boot(std::nullopt, "boot-a", 0, kT0, false);
  const auto a = assess_start(first, "boot-b", 0, kT0 + 100, kPolicy);
  EXPECT_EQ(a.reason, StartReason::unclean_reboot);
  EXPECT_EQ(a.next.consecutive_unclean, 1U);
  EXPECT_EQ(a.next.last_start_reason, "unclean_reboot");
}

TEST(ResetHistory, CleanRebootResetsTheConsecutiveCount) {
  ResetHistory h = boot(std::nullopt, "b0", 0, kT0, false);
  h = boot(h, "b1", 0, kT0 + 10000, true);
  ASSERT_EQ(h.consecutive_unclean, 1U);
  h = boot(h, "b2", 0, kT0 + 20000, false);
  EXPECT_EQ(h.consecutive_unclean, 0U);
  EXPECT_EQ(h.unclean_resets_s, (std::vector<std::int64_t>{kT0 + 10000}));
}

TEST(ResetHistory, ReasonNamesAndUncleanness) {
  EXPECT_EQ(start_reason_name(StartReason::first_start), "first_start");
  EXPECT_EQ(start_reason_name(StartReason::agent_restart), "agent_restart");
  EXPECT_EQ(start_reason_name(StartReason::agent_crashed), "agent_crashed");
  EXPECT_EQ(start_reason_name(StartReason::clean_reboot), "clean_reboot");
  EXPECT_EQ(start_reason_name(StartReason::watchdog_reset), "watchdog_reset");
  EXPECT_EQ(start_reason_name(StartReason::unclean_reboot), "unclean_reboot");
  EXPECT_EQ(start_reason_name(static_cast<StartReason>(99)), "unknown");
  EXPECT_FALSE(is_unclean_reset(StartReason::first_start));
  EXPECT_FALSE(is_unclean_reset(StartReason::agent_restart));
  EXPECT_FALSE(is_unclean_reset(StartReason::agent_crashed));
  EXPECT_FALSE(is_unclean_reset(StartReason::clean_reboot));
  EXPECT_TRUE(is_unclean_reset(StartReason::watchdog_reset));
  EXPECT_TRUE(is_unclean_reset(StartReason::unclean_reboot));
}

TEST(ResetHistory, ResetsInWindowCountsInclusiveWindowAndIgnoresFuture) {
  const std::vector<std::int64_t> resets = {kT0 - 901, kT0 - 900, kT0 - 1, kT0, kT0 + 1};
  EXPECT_EQ(resets_in_window(resets, kT0, kPolicy), 3U);
  EXPECT_EQ(resets_in_window({}, kT0, kPolicy), 0U);
  // At kT0 + 900 only kT0 (exactly 900 s old) and kT0 + 1 are inside.
  EXPECT_EQ(resets_in_window(resets, kT0 + 900, kPolicy), 2U);
}

TEST(ResetHistory, ThirdUncleanResetInWindowEntersLockout) {
  StartAssessment a;
  ResetHistory h = boot(std::nullopt, "b0", 0, kT0, false, &a);
  h = boot(h, "b1", WDIOF_CARDRESET, kT0 + 100, false, &a);
  EXPECT_FALSE(a.entered_lockout);
  h = boot(h, "b2", 0, kT0 + 200, false, &a);
  EXPECT_FALSE(a.entered_lockout);
  EXPECT_FALSE(h.lockout);
  h = boot(h, "b3", WDIOF_CARDRESET, kT0 + 300, false, &a);
  EXPECT_TRUE(a.entered_lockout);
  EXPECT_TRUE(h.lockout);
  EXPECT_EQ(h.lockout_since_s, kT0 + 300);
  EXPECT_EQ(h.lockout_reason, "3 unclean resets within 15 min (limit 3)");
  EXPECT_EQ(h.consecutive_unclean, 3U);
}

TEST(ResetHistory, ResetsSpreadBeyondTheWindowDoNotLockOut) {
  StartAssessment a;
  ResetHistory h = boot(std::nullopt, "b0", 0, kT0, false, &a);
  h = boot(h, "b1", WDIOF_CARDRESET, kT0, false, &a);
  h = boot(h, "b2", WDIOF_CARDRESET, kT0 + 500, false, &a);
  h = boot(h, "b3", WDIOF_CARDRESET, kT0 + 901, false, &a);  // the first fell out
  EXPECT_FALSE(a.entered_lockout);
  EXPECT_FALSE(h.lockout);
  EXPECT_EQ(h.consecutive_unclean, 3U);
  h = boot(h, "b4", WDIOF_CARDRESET, kT0 + 1000, false, &a);
  EXPECT_TRUE(a.entered_lockout);
  EXPECT_EQ(h.lockout_since_s, kT0 + 1000);
}

TEST(ResetHistory, LockoutHeldUntilClearedAndNotRetrippedByCleanBoots) {
  StartAssessment a;
  ResetHistory h = boot(std::nullopt, "b0", WDIOF_CARDRESET, kT0, false, &a);
  h = boot(h, "b1", WDIOF_CARDRESET, kT0 + 10, false, &a);
  h = boot(h, "b2", WDIOF_CARDRESET, kT0 + 20, true, &a);
  ASSERT_TRUE(a.entered_lockout);
  const std::string reason = h.lockout_reason;

  h = boot(h, "b3", 0, kT0 + 30, true, &a);  // clean reboot
  EXPECT_EQ(a.reason, StartReason::clean_reboot);
  EXPECT_FALSE(a.entered_lockout);
  EXPECT_TRUE(h.lockout);
  h = boot(h, "b3", 0, kT0 + 40, false, &a);  // agent restart
  EXPECT_TRUE(h.lockout);
  h = boot(h, "b4", WDIOF_CARDRESET, kT0 + 50, false, &a);  // more resets: still held
  EXPECT_FALSE(a.entered_lockout);
  EXPECT_TRUE(h.lockout);
  EXPECT_EQ(h.lockout_since_s, kT0 + 20);
  EXPECT_EQ(h.lockout_reason, reason);

  clear_lockout(h);
  EXPECT_FALSE(h.lockout);
  EXPECT_EQ(h.lockout_since_s, 0);
  EXPECT_EQ(h.lockout_reason, "");
  EXPECT_TRUE(h.unclean_resets_s.empty());
  EXPECT_EQ(h.consecutive_unclean, 0U);

  // The next reset does not re-lock at once: it takes the full count again.
  h = boot(h, "b5", WDIOF_CARDRESET, kT0 + 60, false, &a);
  EXPECT_FALSE(a.entered_lockout);
  h = boot(h, "b6", WDIOF_CARDRESET, kT0 + 70, false, &a);
  EXPECT_FALSE(a.entered_lockout);
  h = boot(h, "b7", WDIOF_CARDRESET, kT0 + 80, false, &a);
  EXPECT_TRUE(a.entered_lockout);
  EXPECT_EQ(h.lockout_since_s, kT0 + 80);
}

TEST(ResetHistory, RemembersOnlyTheNewestResets) {
  ResetHistory h = boot(std::nullopt, "b", 0, kT0, false);
  for (int i = 1; i <= 70; ++i) {
    h = boot(h, "b" + std::to_string(i), 0, kT0 + i * 10000, false);
  }
  ASSERT_EQ(h.unclean_resets_s.size(), kMaxRememberedResets);
  EXPECT_EQ(h.unclean_resets_s.front(), kT0 + 7 * 10000);
  EXPECT_EQ(h.unclean_resets_s.back(), kT0 + 70 * 10000);
  EXPECT_EQ(h.consecutive_unclean, 70U);
  EXPECT_EQ(h.boot_count, 71U);
}

ResetHistory full_history() {
  ResetHistory h;
  h.boot_id = "0123456789abcdef0123456789abcdef";
  h.agent_running = true;
  h.last_start_s = kT0;
  h.last_clean_stop_s = kT0 - 50;
  h.boot_count = 42;
  h.consecutive_unclean = 3;
  h.last_boot_status = WDIOF_CARDRESET;
  h.last_start_reason = "watchdog_reset";
  h.unclean_resets_s = {kT0 - 20, kT0 - 10, kT0};
  h.lockout = true;
  h.lockout_since_s = kT0;
  h.lockout_reason = "3 unclean resets within 15 min (limit 3)";
  return h;
}

void expect_same(const ResetHistory& a, const ResetHistory& b) {
  EXPECT_EQ(a.boot_id, b.boot_id);
  EXPECT_EQ(a.agent_running, b.agent_running);
  EXPECT_EQ(a.last_start_s, b.last_start_s);
  EXPECT_EQ(a.last_clean_stop_s, b.last_clean_stop_s);
  EXPECT_EQ(a.boot_count, b.boot_count);
  EXPECT_EQ(a.consecutive_unclean, b.consecutive_unclean);
  EXPECT_EQ(a.last_boot_status, b.last_boot_status);
  EXPECT_EQ(a.last_start_reason, b.last_start_reason);
  EXPECT_EQ(a.unclean_resets_s, b.unclean_resets_s);
  EXPECT_EQ(a.lockout, b.lockout);
  EXPECT_EQ(a.lockout_since_s, b.lockout_since_s);
  EXPECT_EQ(a.lockout_reason, b.lockout_reason);
}

TEST(ResetHistory, JsonRoundTripKeepsEveryField) {
  const ResetHistory h = full_history();
  const std::string text = history_to_json(h);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_NE(text.find("\"version\": 1"), std::string::npos);
  auto parsed = history_from_json(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  expect_same(*parsed, h);
  EXPECT_EQ(history_to_json(*parsed), text);
}

// The JSON of full_history() with one field replaced (by JSON text) or removed.
std::string with_field(const std::string& key, const std::string& value) {
  auto j = nlohmann::json::parse(history_to_json(full_history()));
  EXPECT_TRUE(j.contains(key)) << key;
  j[key] = nlohmann::json::parse(value);
  return j.dump(2);
}

std::string without_field(const std::string& key) {
  auto j = nlohmann::json::parse(history_to_json(full_history()));
  EXPECT_EQ(j.erase(key), 1U) << key;
  return j.dump(2);
}

TEST(ResetHistory, JsonRejectsBadInput) {
  for (const std::string text : {"", "{", "null", "[]", "42", "\"text\"", "{}"}) {
    auto parsed = history_from_json(text);
    EXPECT_FALSE(parsed.ok()) << "accepted: " << text;
  }
  EXPECT_EQ(history_from_json("[1]").error().message, "not a JSON object");
  EXPECT_EQ(history_from_json(with_field("version", "2")).error().message, "unsupported version");
  EXPECT_FALSE(history_from_json(with_field("version", "\"1\"")).ok());
  EXPECT_FALSE(history_from_json(with_field("boot_id", "7")).ok());
  EXPECT_FALSE(history_from_json(with_field("agent_running", "\"yes\"")).ok());
  EXPECT_FALSE(history_from_json(with_field("boot_count", "\"many\"")).ok());
  EXPECT_FALSE(history_from_json(with_field("lockout", "null")).ok());
  auto missing = history_from_json(with_field("lockout_reason", "null"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message.rfind("bad field: ", 0), 0U) << missing.error().message;
}

TEST(ResetHistory, JsonRejectsMissingField) {
  for (const char* key :
       {"boot_id", "agent_running", "last_start_s", "last_clean_stop_s", "boot_count",
        "consecutive_unclean", "last_boot_status", "last_start_reason", "unclean_resets_s",
        "lockout", "lockout_since_s", "lockout_reason"}) {
    EXPECT_FALSE(history_from_json(without_field(key)).ok()) << "accepted without " << key;
  }
  EXPECT_EQ(history_from_json(without_field("version")).error().message, "unsupported version");
}

TEST(ResetHistory, JsonRejectsCountsOutOfRange) {
  // A corrupt unsigned count must be rejected, not wrapped (-1 -> 4294967295,
  // 2^32 -> 0) or truncated (2.5 -> 2) into a plausible-looking history.
  for (const char* key : {"boot_count", "consecutive_unclean", "last_boot_status"}) {
    for (const char* value : {"-1", "4294967296", "2.5"}) {
      auto parsed = history_from_json(with_field(key, value));
      EXPECT_FALSE(parsed.ok())
          << key << " = " << value << " accepted as "
          << (parsed.ok() ? nlohmann::json::parse(history_to_json(*parsed))[key].dump() : "");
    }
  }
}

TEST(ResetHistory, JsonKeepsOnlyTheNewestRememberedResets) {
  std::string list = "[";
  for (int i = 0; i < 70; ++i) list += (i > 0 ? "," : "") + std::to_string(i);
  list += "]";
  auto parsed = history_from_json(with_field("unclean_resets_s", list));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->unclean_resets_s.size(), kMaxRememberedResets);
  EXPECT_EQ(parsed->unclean_resets_s.front(), 6);
  EXPECT_EQ(parsed->unclean_resets_s.back(), 69);
}

class ResetHistoryFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "lifeline-history-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::string dir;
};

TEST_F(ResetHistoryFiles, PathIsInTheStateDir) {
  EXPECT_EQ(history_path("/var/lib/lifeline"), "/var/lib/lifeline/reset-history.json");
}

TEST_F(ResetHistoryFiles, MissingFileIsNoHistory) {
  auto loaded = load_history(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_FALSE(loaded->has_value());
  auto missing_dir = load_history(dir + "/nope");
  ASSERT_TRUE(missing_dir.ok()) << missing_dir.error().message;
  EXPECT_FALSE(missing_dir->has_value());
}

TEST_F(ResetHistoryFiles, SaveThenLoadRoundTrips) {
  const ResetHistory h = full_history();
  ASSERT_TRUE(save_history(dir, h).ok());
  std::ifstream in(history_path(dir));
  const std::string on_disk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(on_disk, history_to_json(h));
  EXPECT_FALSE(std::filesystem::exists(history_path(dir) + ".tmp"));

  auto loaded = load_history(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  ASSERT_TRUE(loaded->has_value());
  expect_same(**loaded, h);
}

TEST_F(ResetHistoryFiles, SaveReplacesThePreviousHistory) {
  ResetHistory h = full_history();
  ASSERT_TRUE(save_history(dir, h).ok());
  clear_lockout(h);
  ASSERT_TRUE(save_history(dir, h).ok());
  auto loaded = load_history(dir);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_FALSE((*loaded)->lockout);
  EXPECT_TRUE((*loaded)->unclean_resets_s.empty());
}

TEST_F(ResetHistoryFiles, CorruptFileIsAnErrorNamingThePath) {
  std::ofstream(history_path(dir)) << "{\"version\": 1, \"boot_id\": ";
  auto loaded = load_history(dir);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().message, history_path(dir) + ": not a JSON object");
}

TEST_F(ResetHistoryFiles, UnreadableHistoryIsAnErrorNotNoHistory) {
  std::filesystem::create_directory(history_path(dir));  // a directory where the file goes
  auto loaded = load_history(dir);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find(history_path(dir)), std::string::npos)
      << loaded.error().message;
}

TEST_F(ResetHistoryFiles, SaveIntoMissingDirectoryFails) {
  EXPECT_FALSE(save_history(dir + "/missing/deeper", full_history()).ok());
}

}  // namespace
}  // namespace lifeline
