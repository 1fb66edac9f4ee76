// The rescue server's own parsers: forms and queries (incl. NUL, huge and truncated
// bodies), cookies, Host/Origin, listen addresses.
#include "rescue/http_text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace lifeline::rescue {
namespace {

using namespace std::string_literals;

TEST(RescueForm, DecodesPairsPlusAndEscapes) {
  const auto form = parse_form("csrf=ab12&password=p%40ss+word&confirm=yes&empty=&flag");
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(form.get("csrf"), "ab12");
  EXPECT_EQ(form.get("password"), "p@ss word");
  EXPECT_EQ(form.get("confirm"), "yes");
  EXPECT_EQ(form.get("empty"), "");
  EXPECT_EQ(form.get("flag"), "");
  EXPECT_FALSE(form.get("missing").has_value());
}

TEST(RescueForm, EmptyBodyAndStrayAmpersandsAreNoFields) {
  EXPECT_TRUE(parse_form("").ok());
  EXPECT_TRUE(parse_form("").fields.empty());
  const auto form = parse_form("&&a=1&&");
  ASSERT_TRUE(form.ok());
  ASSERT_EQ(form.fields.size(), 1U);
}

TEST(RescueForm, RawNulAnywhereRejectsTheWholeBody) {
  for (const std::string& body : {"csrf=a\0b"s, "\0"s, "a=1&\0=2"s, "a=1&b=2\0"s}) {
    const auto form = parse_form(body);
    EXPECT_EQ(form.error, FormError::nul_byte) << body.size();
    EXPECT_TRUE(form.fields.empty());
  }
}

TEST(RescueForm, EscapedNulAndControlCharactersAreRejected) {
  EXPECT_EQ(parse_form("password=a%00b").error, FormError::nul_byte);
  EXPECT_EQ(parse_form("a%00=1").error, FormError::nul_byte);
  EXPECT_EQ(parse_form("a=%01").error, FormError::control_byte);
  EXPECT_EQ(parse_form("a=%7f").error, FormError::control_byte);
  EXPECT_EQ(parse_form("a=\x1b[31m").error, FormError::control_byte);
  EXPECT_TRUE(parse_form("a=line%0Aline%09tab").ok());  // newline and tab are text
}

TEST(RescueForm, TruncatedAndMalformedEscapesAreRejected) {
  EXPECT_EQ(parse_form("a=%").error, FormError::bad_escape);
  EXPECT_EQ(parse_form("a=%4").error, FormError::bad_escape);
  EXPECT_EQ(parse_form("a=%zz").error, FormError::bad_escape);
  EXPECT_EQ(parse_form("%=1").error, FormError::bad_escape);
}

TEST(RescueForm, HugeBodiesFieldsAndCountsAreRejected) {
  EXPECT_EQ(parse_form(std::string(kMaxBodyBytes + 1, 'a')).error, FormError::too_large);
  EXPECT_EQ(parse_form("a=" + std::string(kMaxFieldBytes + 1, 'x')).error, FormError::too_large);
  EXPECT_TRUE(parse_form("a=" + std::string(kMaxFieldBytes, 'x')).ok());
  std::string many;
  for (std::size_t i = 0; i <= kMaxFields; ++i) many += "f" + std::to_string(i) + "=1&";
  EXPECT_EQ(parse_form(many).error, FormError::too_many_fields);
}

TEST(RescueCookie, FindsTheNamedValueOnly) {
  EXPECT_EQ(cookie_value("a=1; ll_session=abc; b=2", "ll_session"), "abc");
  EXPECT_EQ(cookie_value("ll_session=\"abc\"", "ll_session"), "abc");
  EXPECT_EQ(cookie_value("xll_session=abc", "ll_session"), std::nullopt);
  EXPECT_EQ(cookie_value("", "ll_session"), std::nullopt);
  EXPECT_EQ(cookie_value("ll_session=a b", "ll_session"), std::nullopt);
  EXPECT_EQ(cookie_value("ll_session=a\x01", "ll_session"), std::nullopt);
  EXPECT_EQ(cookie_value(std::string(9000, 'x'), "ll_session"), std::nullopt);
}

TEST(RescueHost, PortIsDroppedAndCaseFolded) {
  EXPECT_EQ(host_without_port("127.0.0.1:8080"), "127.0.0.1");
  EXPECT_EQ(host_without_port("Robot.Local"), "robot.local");
  EXPECT_EQ(host_without_port("[::1]:80"), "[::1]");
  EXPECT_EQ(host_without_port("[::1"), "");
}

TEST(RescueOrigin, OnlyPlainHttpOriginsHaveAnAuthority) {
  EXPECT_EQ(origin_authority("http://127.0.0.1:8080"), "127.0.0.1:8080");
  EXPECT_EQ(origin_authority("https://Robot.local"), "robot.local");
  EXPECT_EQ(origin_authority("null"), std::nullopt);
  EXPECT_EQ(origin_authority("http://evil@robot"), std::nullopt);
  EXPECT_EQ(origin_authority("http://robot/x"), std::nullopt);
  EXPECT_EQ(origin_authority("ftp://robot"), std::nullopt);
  EXPECT_EQ(origin_authority("http://"), std::nullopt);
}

TEST(RescueListen, AcceptsIpv4WithPortOnly) {
  const auto address = parse_listen("192.168.1.50:8080");
  ASSERT_TRUE(address.has_value());
  EXPECT_EQ(address->host, "192.168.1.50");
  EXPECT_EQ(address->port, 8080);
  EXPECT_TRUE(parse_listen("127.0.0.1:0").has_value());
  for (const char* bad :
       {"8080", "localhost:80", "256.0.0.1:80", "1.2.3:80", "1.2.3.4:65536", "1.2.3.4:", "[::1]:80",
        "1.2.3.4.5:80", " 1.2.3.4:80", "1.2.3.4:+80", "01234.1.1.1:80"}) {
    EXPECT_FALSE(parse_listen(bad).has_value()) << bad;
  }
}

TEST(RescueCount, DigitsOnlyAndBounded) {
  EXPECT_EQ(parse_count("0"), 0);
  EXPECT_EQ(parse_count("42"), 42);
  EXPECT_EQ(parse_count(""), std::nullopt);
  EXPECT_EQ(parse_count("-1"), std::nullopt);
  EXPECT_EQ(parse_count("1e3"), std::nullopt);
  EXPECT_EQ(parse_count(std::string(19, '9')), std::nullopt);
}

}  // namespace
}  // namespace lifeline::rescue
