// `lifeline events`: --since parsing, --boot selection, and the exact text and JSON output.
#include <gtest/gtest.h>

#include "blackbox/query.hpp"

namespace lifeline::blackbox {
namespace {

constexpr std::int64_t kSecond = 1'000'000;
constexpr std::int64_t kNow = 1'795'404'309 * kSecond;  // 2026-11-23T03:25:09Z

BootId boot(std::uint8_t n) {
  BootId id{};
  id.fill(n);
  return id;
}

Record at(std::uint64_t seq, std::uint8_t boot_n, std::int64_t realtime_us) {
  Record record;
  record.seq = seq;
  record.boot_id = boot(boot_n);
  record.realtime_us = realtime_us;
  return record;
}

std::vector<std::uint64_t> seqs(const std::vector<Record>& records) {
  std::vector<std::uint64_t> out;
  for (const Record& record : records) out.push_back(record.seq);
  return out;
}

std::int64_t since(std::string_view text) {
  auto parsed = parse_since(text, kNow);
  EXPECT_TRUE(parsed.ok()) << text << ": " << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? *parsed : 0;
}

TEST(BlackBoxQuery, ParsesEverySinceForm) {
  EXPECT_EQ(since("@1700000000"), 1'700'000'000 * kSecond);
  EXPECT_EQ(since("@0"), 0);
  EXPECT_EQ(since("2026-11-23"), 1'795'392'000 * kSecond);
  EXPECT_EQ(since("2024-02-29"), 1'709'164'800 * kSecond);
  EXPECT_EQ(since("2026-11-23 03:25"), 1'795'404'300 * kSecond);
  EXPECT_EQ(since("2026-11-23 03:25:09"), kNow);
  EXPECT_EQ(since("2026-11-23T03:25:09"), kNow);
  EXPECT_EQ(since("2026-11-23T03:25:09Z"), kNow);
  EXPECT_EQ(since("2026-11-23T03:25Z"), 1'795'404'300 * kSecond);
  EXPECT_EQ(since("1969-12-31 23:59:59"), -kSecond);
  EXPECT_EQ(since("-30s"), kNow - 30 * kSecond);
  EXPECT_EQ(since("-10m"), kNow - 600 * kSecond);
  EXPECT_EQ(since("-2h"), kNow - 7200 * kSecond);
  EXPECT_EQ(since("-1d"), kNow - 86'400 * kSecond);
}

TEST(BlackBoxQuery, RejectsEverythingElseClearly) {
  for (const std::string_view text : {"",
                                      "yesterday",
                                      "2026-13-01",
                                      "2026-02-30",
                                      "2023-02-29",
                                      "0000-01-01",
                                      "2026-1-01",
                                      "2026-11-23 24:00",
                                      "2026-11-23 03:60",
                                      "2026-11-23 03:25:60",
                                      "2026-11-23 3:25",
                                      "2026-11-23T03:25:09+01:00",
                                      "2026-11-23X03:25",
                                      "2026-11-23 03:25:09ZZ",
                                      "-5",
                                      "-5x",
                                      "-s",
                                      "--5s",
                                      "-5.5s",
                                      "@",
                                      "@abc",
                                      "@-5",
                                      "@1.5",
                                      "@99999999999999999999",
                                      "1700000000",
                                      "-99999999999999d"}) {
    auto parsed = parse_since(text, kNow);
    EXPECT_FALSE(parsed.ok()) << '"' << text << '"';
    if (!parsed.ok()) {
      EXPECT_EQ(
          parsed.error().message.rfind("cannot read --since \"" + std::string(text) + "\": ", 0),
          0U)
          << parsed.error().message;
    }
  }
  EXPECT_EQ(parse_since("later", kNow).error().message,
            "cannot read --since \"later\": not a date; use @SECONDS, YYYY-MM-DD, "
            "\"YYYY-MM-DD HH:MM[:SS]\" (UTC) or -N[smhd]");
}

class BlackBoxSelect : public ::testing::Test {
 protected:
  // Boots 1, 2, 3 in that order; given out of order to show select() sorts by seq.
  std::vector<Record> records_ = {at(6, 3, 600), at(1, 1, 100), at(2, 1, 200), at(4, 2, 400),
                                  at(3, 1, 300), at(5, 2, 500), at(7, 3, 700)};

  std::vector<std::uint64_t> by_boot(int n, std::uint8_t current) {
    return seqs(select(records_, {.since_realtime_us = {}, .boot = n}, boot(current)));
  }
};

TEST_F(BlackBoxSelect, NoFilterKeepsAllInSeqOrder) {
  EXPECT_EQ(seqs(select(records_, {}, boot(3))), (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7}));
}

TEST_F(BlackBoxSelect, RelativeBootsCountBackFromTheCurrentOne) {
  EXPECT_EQ(by_boot(0, 3), (std::vector<std::uint64_t>{6, 7}));
  EXPECT_EQ(by_boot(-1, 3), (std::vector<std::uint64_t>{4, 5}));
  EXPECT_EQ(by_boot(-2, 3), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_TRUE(by_boot(-3, 3).empty());
  EXPECT_EQ(by_boot(0, 2), (std::vector<std::uint64_t>{4, 5}));
  EXPECT_EQ(by_boot(-1, 2), (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST_F(BlackBoxSelect, CurrentBootWithoutRecordsComesAfterTheRest) {
  EXPECT_TRUE(by_boot(0, 9).empty());
  EXPECT_EQ(by_boot(-1, 9), (std::vector<std::uint64_t>{6, 7}));
  EXPECT_EQ(by_boot(-3, 9), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_TRUE(by_boot(-4, 9).empty());
}

TEST_F(BlackBoxSelect, PositiveBootsCountFromTheOldest) {
  EXPECT_EQ(by_boot(1, 3), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(by_boot(3, 9), (std::vector<std::uint64_t>{6, 7}));
  EXPECT_TRUE(by_boot(4, 3).empty());
}

TEST_F(BlackBoxSelect, BootsAreOrderedByFirstAppearance) {
  records_.push_back(at(8, 1, 800));  // boot 1 again (a bad clock cannot reorder boots)
  EXPECT_EQ(by_boot(1, 3), (std::vector<std::uint64_t>{1, 2, 3, 8}));
  EXPECT_EQ(by_boot(0, 3), (std::vector<std::uint64_t>{6, 7}));
}

TEST_F(BlackBoxSelect, SinceAndBootCombine) {
  EXPECT_EQ(seqs(select(records_, {.since_realtime_us = 300, .boot = {}}, boot(3))),
            (std::vector<std::uint64_t>{3, 4, 5, 6, 7}));
  EXPECT_EQ(seqs(select(records_, {.since_realtime_us = 300, .boot = -2}, boot(3))),
            (std::vector<std::uint64_t>{3}));
  EXPECT_TRUE(select(records_, {.since_realtime_us = 701, .boot = {}}, boot(3)).empty());
}

Record gate_closed() {
  Record record;
  record.seq = 42;
  record.realtime_us = kNow + 123'456;
  record.monotonic_us = 98'765'432;
  record.boot_id = *parse_boot_id("3f2a9c015b6d4e7f8a9b0c1d2e3f4a5b");
  record.event.kind = EventKind::fault_raised;
  record.event.fault = Fault::health_gate_closed;
  record.event.severity = Severity::critical;
  record.event.message = "The health gate closed.";
  record.event.fields = {{"check", "ping"}, {"failures", "3"}};
  return record;
}

TEST(BlackBoxFormat, TextLine) {
  EXPECT_EQ(format_text(gate_closed()),
            "2026-11-23T03:25:09.123Z  boot 3f2a9c01  critical  fault_raised  "
            "health_gate_closed(112)  The health gate closed.  check=ping failures=3");
}

TEST(BlackBoxFormat, TextLineEscapesAndQuotes) {
  Record record = gate_closed();
  record.event.fault.reset();
  record.event.kind = EventKind::config_loaded;
  record.event.severity = Severity::info;
  record.event.message = "two\nlines\x01";
  record.event.fields = {{"path", "/etc/a b.toml"}, {"empty", ""}, {"q", "say \"hi\""}};
  EXPECT_EQ(format_text(record),
            "2026-11-23T03:25:09.123Z  boot 3f2a9c01  info  config_loaded  -  two\\nlines\\x01  "
            "path=\"/etc/a b.toml\" empty=\"\" q=\"say \\\"hi\\\"\"");
}

TEST(BlackBoxFormat, TimesBeforeTheEpochAndOutOfRange) {
  EXPECT_EQ(format_utc_ms(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_utc_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_utc_ms(std::numeric_limits<std::int64_t>::max()), "@9223372036854");
  EXPECT_EQ(format_utc_ms(std::numeric_limits<std::int64_t>::min()), "@-9223372036854");
}

TEST(BlackBoxFormat, Json) {
  EXPECT_EQ(to_json(gate_closed()).dump(),
            R"({"boot_id":"3f2a9c015b6d4e7f8a9b0c1d2e3f4a5b","fault":"health_gate_closed",)"
            R"("fault_code":112,"fields":{"check":"ping","failures":"3"},"kind":"fault_raised",)"
            R"("message":"The health gate closed.","monotonic_us":98765432,)"
            R"("realtime_us":1795404309123456,"seq":42,"severity":"critical",)"
            R"("time":"2026-11-23T03:25:09.123Z"})");
}

TEST(BlackBoxFormat, JsonWithoutFaultAndWithBadUtf8) {
  Record record = gate_closed();
  record.event.fault.reset();
  record.event.message = "bad \xff byte";
  record.event.fields = {{"k\xc3", "\xe2\x82"}};
  const nlohmann::json json = to_json(record);
  EXPECT_TRUE(json["fault"].is_null());
  EXPECT_TRUE(json["fault_code"].is_null());
  EXPECT_EQ(json["message"], "bad \xEF\xBF\xBD byte");
  EXPECT_EQ(json["fields"].dump(), "{\"k\xEF\xBF\xBD\":\"\xEF\xBF\xBD\xEF\xBF\xBD\"}");
}

}  // namespace
}  // namespace lifeline::blackbox
