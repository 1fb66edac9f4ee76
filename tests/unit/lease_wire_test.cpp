// The lease wire format: exactly one spelling is accepted, everything else is refused
// with a reason, and what the formatter writes the parser reads back.
#include "motion/lease_wire.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace lifeline {
namespace {

Expected<LeaseBeat> parse(std::string_view text) {
  return parse_lease_datagram(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

struct Accepted {
  std::string_view text;
  std::string_view name;
  std::uint64_t seq;
};

TEST(LeaseWire, AcceptsCanonicalBeats) {
  using namespace std::string_view_literals;
  const std::vector<Accepted> table = {
      {"LLB1 app 1\n", "app", 1},
      {"LLB1 app 1", "app", 1},  // the newline is optional
      {"LLB1 app 0\n", "app", 0},
      {"LLB1 a 42\n", "a", 42},
      {"LLB1 arm-ctl_2 7\n", "arm-ctl_2", 7},
      {"LLB1 0123456789abcdefghijklmnopqrstuv 9\n", "0123456789abcdefghijklmnopqrstuv", 9},
      {"LLB1 app 18446744073709551615\n", "app", std::numeric_limits<std::uint64_t>::max()},
  };
  for (const auto& row : table) {
    SCOPED_TRACE(std::string(row.text));
    auto beat = parse(row.text);
    ASSERT_TRUE(beat.ok()) << beat.error().message;
    EXPECT_EQ(beat->name, row.name);
    EXPECT_EQ(beat->seq, row.seq);
  }
}

struct Rejected {
  std::string_view text;
  std::string_view reason;  // a part of the error message
};

TEST(LeaseWire, RejectsEverythingElseWithAReason) {
  using namespace std::string_view_literals;
  const std::vector<Rejected> table = {
      {""sv, "empty"},
      {"\n"sv, "LLB1"},
      {"LLB1"sv, "LLB1"},
      {"LLB1 "sv, "expected"},
      {"LLB2 app 1\n"sv, "LLB1"},
      {"llb1 app 1\n"sv, "LLB1"},
      {" LLB1 app 1\n"sv, "LLB1"},
      {"LLB1app 1\n"sv, "LLB1"},
      {"LLB1 app\n"sv, "expected"},
      {"LLB1 app \n"sv, "missing seq"},
      {"LLB1  app 1\n"sv, "name"},
      {"LLB1 App 1\n"sv, "name"},
      {"LLB1 a.b 1\n"sv, "name"},
      {"LLB1 0123456789abcdefghijklmnopqrstuvw 1\n"sv, "name"},  // 33 bytes
      {"LLB1 app 1 2\n"sv, "extra field"},
      {"LLB1 app 1 \n"sv, "extra field"},
      {"LLB1 app  1\n"sv, "extra field"},
      {"LLB1 app -1\n"sv, "decimal"},
      {"LLB1 app +1\n"sv, "decimal"},
      {"LLB1 app 0x10\n"sv, "decimal"},
      {"LLB1 app 1.5\n"sv, "decimal"},
      {"LLB1 app 01\n"sv, "leading zero"},
      {"LLB1 app 00\n"sv, "leading zero"},
      {"LLB1 app 18446744073709551616\n"sv, "64 bits"},
      {"LLB1 app 99999999999999999999\n"sv, "64 bits"},
      {"LLB1 app 1\n\n"sv, "offset 10"},
      {"LLB1 app 1\r\n"sv, "offset 10"},
      {"LLB1 app\t1\n"sv, "offset 8"},
      {"LLB1 app\0 1\n"sv, "offset 8"},
      {"LLB1 app 1\0"sv, "offset 10"},
      {"LLB1 ap\xc3\xa9 1\n"sv, "offset 7"},
  };
  for (const auto& row : table) {
    SCOPED_TRACE(testing::PrintToString(std::string(row.text)));
    auto beat = parse(row.text);
    ASSERT_FALSE(beat.ok()) << beat->name;
    EXPECT_NE(beat.error().message.find(row.reason), std::string::npos) << beat.error().message;
    EXPECT_EQ(beat.error().errno_value, 0);
  }
}

TEST(LeaseWire, RejectsOversizeDatagramsBeforeLookingInside) {
  std::string big = "LLB1 app 1";
  big.resize(kLeaseMaxDatagram + 1, ' ');
  auto beat = parse(big);
  ASSERT_FALSE(beat.ok());
  EXPECT_EQ(beat.error().message, "datagram of 129 bytes exceeds 128");
  big.resize(kLeaseMaxDatagram);
  EXPECT_EQ(parse(big).error().message, "extra field after seq");  // size alone is fine
}

TEST(LeaseWire, ErrorNeverEchoesTheDatagram) {
  auto beat = parse("LLB1 app 1 \x1b[2J forged log line");
  ASSERT_FALSE(beat.ok());
  EXPECT_EQ(beat.error().message.find("forged"), std::string::npos);
  EXPECT_EQ(beat.error().message.find('\x1b'), std::string::npos);
}

TEST(LeaseWire, FormatWritesTheCanonicalBeat) {
  char out[kLeaseMaxBeat];
  const std::size_t length = format_lease_datagram("app", 42, out, sizeof(out));
  EXPECT_EQ(std::string_view(out, length), "LLB1 app 42\n");
  EXPECT_EQ(std::string_view(out, format_lease_datagram("x", 0, out, sizeof(out))), "LLB1 x 0\n");
}

TEST(LeaseWire, FormatThenParseRoundTrips) {
  const std::vector<std::uint64_t> seqs = {
      0, 1, 9, 10, 99, 1000000007ULL, std::numeric_limits<std::uint64_t>::max()};
  const std::vector<std::string> names = {"a", "app", "arm-ctl_2",
                                          "0123456789abcdefghijklmnopqrstuv"};
  for (const auto& name : names) {
    for (const auto seq : seqs) {
      char out[kLeaseMaxBeat];
      const std::size_t length = format_lease_datagram(name, seq, out, sizeof(out));
      ASSERT_GT(length, 0U) << name << " " << seq;
      ASSERT_LE(length, kLeaseMaxBeat);
      auto beat = parse(std::string_view(out, length));
      ASSERT_TRUE(beat.ok()) << beat.error().message;
      EXPECT_EQ(beat->name, name);
      EXPECT_EQ(beat->seq, seq);
    }
  }
}

TEST(LeaseWire, LongestBeatFitsExactlyInMaxBeat) {
  const std::string name(kLeaseMaxName, 'z');
  const auto seq = std::numeric_limits<std::uint64_t>::max();
  char out[kLeaseMaxBeat];
  EXPECT_EQ(format_lease_datagram(name, seq, out, sizeof(out)), kLeaseMaxBeat);
  EXPECT_EQ(format_lease_datagram(name, seq, out, sizeof(out) - 1), 0U);
  EXPECT_LE(kLeaseMaxBeat, kLeaseMaxDatagram);
}

TEST(LeaseWire, FormatRefusesBadNamesAndSmallBuffersWithoutWriting) {
  char out[16];
  std::memset(out, '#', sizeof(out));
  EXPECT_EQ(format_lease_datagram("", 1, out, sizeof(out)), 0U);
  EXPECT_EQ(format_lease_datagram("App", 1, out, sizeof(out)), 0U);
  EXPECT_EQ(format_lease_datagram("a b", 1, out, sizeof(out)), 0U);
  EXPECT_EQ(format_lease_datagram("app", 1, nullptr, 64), 0U);
  EXPECT_EQ(format_lease_datagram("app", 1, out, 10), 0U);  // "LLB1 app 1\n" is 11
  EXPECT_EQ(std::string_view(out, sizeof(out)), std::string(sizeof(out), '#'));
  EXPECT_EQ(format_lease_datagram("app", 1, out, 11), 11U);  // no NUL needed
  EXPECT_EQ(out[11], '#');
}

TEST(LeaseWire, NameRule) {
  EXPECT_TRUE(is_valid_lease_name("app"));
  EXPECT_TRUE(is_valid_lease_name("a-b_c9"));
  EXPECT_TRUE(is_valid_lease_name(std::string(32, 'a')));
  EXPECT_FALSE(is_valid_lease_name(std::string(33, 'a')));
  EXPECT_FALSE(is_valid_lease_name(""));
  EXPECT_FALSE(is_valid_lease_name("a/b"));
  EXPECT_FALSE(is_valid_lease_name(std::string_view("a\0b", 3)));
}

}  // namespace
}  // namespace lifeline
