// Sessions, the login limiter (fake clock), tokens and the password hash.
#include "rescue/auth.hpp"

#include <gtest/gtest.h>

#include <set>

#include "rescue/password.hpp"

namespace lifeline::rescue {
namespace {

using namespace std::chrono_literals;

TEST(RescueTokens, RandomHexHasTheLengthAndDiffers) {
  const auto a = random_hex(32);
  const auto b = random_hex(32);
  EXPECT_EQ(a.size(), 64U);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(RescueTokens, ConstantTimeEqualIsEquality) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_FALSE(constant_time_equal("ab", "abc"));
  EXPECT_FALSE(constant_time_equal("", "a"));
}

class RescueSessions : public ::testing::Test {
 protected:
  hal::FakeClock clock;
  SessionStore store{clock, SessionLimits{std::chrono::minutes(30), std::chrono::hours(12), 3}};
};

TEST_F(RescueSessions, AFreshSessionIsFoundWithItsCsrfToken) {
  const Session session = store.create("10.0.0.5");
  EXPECT_EQ(session.token.size(), 64U);
  EXPECT_EQ(session.csrf.size(), 64U);
  EXPECT_NE(session.token, session.csrf);
  const auto found = store.find(session.token);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->csrf, session.csrf);
  EXPECT_EQ(found->label(), "session " + session.token.substr(0, 8) + " from 10.0.0.5");
  EXPECT_FALSE(store.find(std::string(64, '0')).has_value());
  EXPECT_FALSE(store.find("short").has_value());
}

TEST_F(RescueSessions, IdleExpiryIsRefreshedByUse) {
  const Session session = store.create("a");
  clock.advance(29min);
  ASSERT_TRUE(store.find(session.token).has_value());  // use refreshes the idle time
  clock.advance(29min);
  ASSERT_TRUE(store.find(session.token).has_value());
  clock.advance(30min);
  EXPECT_FALSE(store.find(session.token).has_value());
  EXPECT_EQ(store.size(), 0U);
}

TEST_F(RescueSessions, AbsoluteExpiryEndsEvenABusySession) {
  const Session session = store.create("a");
  for (int i = 0; i < 12 * 4 - 1; ++i) {
    clock.advance(15min);
    ASSERT_TRUE(store.find(session.token).has_value()) << i;
  }
  clock.advance(15min);  // 12 h after login
  EXPECT_FALSE(store.find(session.token).has_value());
}

TEST_F(RescueSessions, LogoutEndsTheSession) {
  const Session session = store.create("a");
  store.end(session.token);
  EXPECT_FALSE(store.find(session.token).has_value());
}

TEST_F(RescueSessions, TheLeastRecentlyUsedMakesRoomWhenFull) {
  const Session first = store.create("a");
  clock.advance(1s);
  const Session second = store.create("b");
  clock.advance(1s);
  const Session third = store.create("c");
  clock.advance(1s);
  ASSERT_TRUE(store.find(first.token).has_value());  // first is now the most recent
  const Session fourth = store.create("d");
  EXPECT_EQ(store.size(), 3U);
  EXPECT_TRUE(store.find(first.token).has_value());
  EXPECT_FALSE(store.find(second.token).has_value());
  EXPECT_TRUE(store.find(third.token).has_value());
  EXPECT_TRUE(store.find(fourth.token).has_value());
}

class RescueLimiter : public ::testing::Test {
 protected:
  hal::FakeClock clock;
  LoginLimiter limiter{clock, LoginLimits{3, 30s, 300s, 4}};
};

TEST_F(RescueLimiter, FreeAttemptsThenWaitThenDoubling) {
  for (int i = 0; i < 2; ++i) {
    limiter.failed("10.0.0.9");
    EXPECT_EQ(limiter.wait_for("10.0.0.9"), 0s) << i;
  }
  limiter.failed("10.0.0.9");  // third failure: wait the first back-off
  EXPECT_EQ(limiter.wait_for("10.0.0.9"), 30s);
  EXPECT_EQ(limiter.wait_for("10.0.0.10"), 0s);  // per source
  clock.advance(29500ms);
  EXPECT_EQ(limiter.wait_for("10.0.0.9"), 1s);  // rounded up, never "0 s" while blocked
  clock.advance(500ms);
  EXPECT_EQ(limiter.wait_for("10.0.0.9"), 0s);
  limiter.failed("10.0.0.9");
  EXPECT_EQ(limiter.wait_for("10.0.0.9"), 60s);
  clock.advance(60s);
  limiter.failed("10.0.0.9");
  EXPECT_EQ(limiter.wait_for("10.0.0.9"), 120s);
  for (int i = 0; i < 10; ++i) limiter.failed("10.0.0.9");
  EXPECT_EQ(limiter.wait_for("10.0.0.9"), 300s);  // capped
}

TEST_F(RescueLimiter, SuccessForgetsTheFailures) {
  for (int i = 0; i < 3; ++i) limiter.failed("a");
  ASSERT_GT(limiter.wait_for("a").count(), 0);
  limiter.succeeded("a");
  EXPECT_EQ(limiter.wait_for("a"), 0s);
}

TEST_F(RescueLimiter, TheTableIsBoundedAndForgetsTheStalest) {
  for (int i = 0; i < 3; ++i) limiter.failed("first");
  ASSERT_EQ(limiter.wait_for("first"), 30s);
  for (const char* source : {"b", "c", "d", "e"}) {
    clock.advance(1s);
    limiter.failed(source);
  }
  EXPECT_EQ(limiter.wait_for("first"), 0s);  // forgotten to make room for "e"
}

TEST(RescuePassword, HashIsYescryptSaltedAndVerifies) {
  auto hash = hash_password("correct horse");
  ASSERT_TRUE(hash.ok()) << hash.error().message;
  EXPECT_TRUE(hash->starts_with("$y$")) << *hash;
  auto again = hash_password("correct horse");
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*hash, *again);  // a fresh salt each time
  EXPECT_TRUE(verify_password("correct horse", *hash));
  EXPECT_TRUE(verify_password("correct horse", *again));
  EXPECT_FALSE(verify_password("correct horsE", *hash));
  EXPECT_FALSE(verify_password("", *hash));
}

TEST(RescuePassword, ShortOrNulPasswordsAndForeignHashesAreRefused) {
  EXPECT_FALSE(hash_password("short").ok());
  EXPECT_FALSE(hash_password(std::string("with\0nul12", 10)).ok());
  EXPECT_FALSE(verify_password("anything", ""));
  EXPECT_FALSE(verify_password("anything", "*"));
  // A DES or MD5 hash would be weak: never accepted even if it matched.
  EXPECT_FALSE(verify_password("password", "$1$abcdefgh$EIOGWLxLZKTNyqL5ek2DY."));
}

}  // namespace
}  // namespace lifeline::rescue
