// The lease's timing and flood decisions under a fake clock: exact to the nanosecond.
#include "motion/lease_policy.hpp"

#include <gtest/gtest.h>

#include "lifeline/hal/clock.hpp"

namespace lifeline {
namespace {

using namespace std::chrono_literals;

TEST(LeasePolicy, NeverRenewedIsNotAlive) {
  hal::FakeClock clock;
  const LeaseState lease(300ms);
  EXPECT_FALSE(lease.ever_renewed());
  EXPECT_TRUE(lease.expired(clock.now()));  // no motion before the app proves itself
  EXPECT_FALSE(lease.deadline().has_value());
  EXPECT_FALSE(lease.age(clock.now()).has_value());
  EXPECT_FALSE(lease.last_seq().has_value());
  EXPECT_EQ(lease.renewals(), 0U);
  clock.advance(1h);  // nor does waiting make it alive
  EXPECT_TRUE(lease.expired(clock.now()));
}

TEST(LeasePolicy, ExpiresExactlyAtTheDeadline) {
  hal::FakeClock clock;
  LeaseState lease(300ms);
  const hal::MonoTime renewed = clock.now();
  lease.renew(renewed, 1);
  ASSERT_TRUE(lease.deadline().has_value());
  EXPECT_EQ(*lease.deadline(), renewed + 300ms);
  EXPECT_FALSE(lease.expired(renewed));
  clock.advance(300ms - 1ns);
  EXPECT_FALSE(lease.expired(clock.now()));
  clock.advance(1ns);
  EXPECT_TRUE(lease.expired(clock.now()));  // at the deadline itself: expired
}

TEST(LeasePolicy, RenewalMovesTheDeadline) {
  hal::FakeClock clock;
  LeaseState lease(300ms);
  lease.renew(clock.now(), 1);
  clock.advance(200ms);
  lease.renew(clock.now(), 2);
  clock.advance(250ms);  // 450 ms after the first beat, 250 after the second
  EXPECT_FALSE(lease.expired(clock.now()));
  EXPECT_EQ(*lease.deadline(), clock.now() + 50ms);
  EXPECT_EQ(lease.age(clock.now()), 250ms);
  EXPECT_EQ(lease.renewals(), 2U);
  EXPECT_EQ(lease.last_seq(), 2U);
}

TEST(LeasePolicy, RenewalAfterExpiryRevivesTheLease) {
  hal::FakeClock clock;
  LeaseState lease(100ms);
  lease.renew(clock.now(), 5);
  clock.advance(2s);
  EXPECT_TRUE(lease.expired(clock.now()));
  lease.renew(clock.now(), 6);
  EXPECT_FALSE(lease.expired(clock.now()));
}

TEST(LeasePolicy, SeqRegressionsAreCountedButStillRenew) {
  hal::FakeClock clock;
  LeaseState lease(300ms);
  lease.renew(clock.now(), 100);
  lease.renew(clock.now(), 101);
  EXPECT_EQ(lease.seq_regressions(), 0U);
  clock.advance(10ms);
  lease.renew(clock.now(), 1);  // the app restarted and counts from 1 again
  EXPECT_EQ(lease.seq_regressions(), 1U);
  EXPECT_EQ(*lease.deadline(), clock.now() + 300ms);
  lease.renew(clock.now(), 1);  // a repeat is not an increase either
  EXPECT_EQ(lease.seq_regressions(), 2U);
  lease.renew(clock.now(), 2);
  EXPECT_EQ(lease.seq_regressions(), 2U);
  EXPECT_EQ(lease.renewals(), 5U);
}

TEST(LeasePolicy, AgeIsFlooredToMillisecondsAndNeverNegative) {
  hal::FakeClock clock;
  LeaseState lease(300ms);
  const hal::MonoTime renewed = clock.now();
  lease.renew(renewed, 1);
  clock.advance(1999us);
  EXPECT_EQ(lease.age(clock.now()), 1ms);
  EXPECT_EQ(lease.age(renewed - 5ms), 0ms);
}

TEST(LeaseRateLimiter, AllowsABurstOfOneSecondThenTheRate) {
  hal::FakeClock clock;
  RateLimiter limiter(10);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter.allow(clock.now())) << i;
  EXPECT_FALSE(limiter.allow(clock.now()));
  clock.advance(99ms);
  EXPECT_FALSE(limiter.allow(clock.now()));
  clock.advance(1ms);  // one token every 100 ms
  EXPECT_TRUE(limiter.allow(clock.now()));
  EXPECT_FALSE(limiter.allow(clock.now()));
}

TEST(LeaseRateLimiter, FractionsAccumulateWithoutDrift) {
  hal::FakeClock clock;
  RateLimiter limiter(3, 2);  // a token every 333.33... ms
  EXPECT_TRUE(limiter.allow(clock.now()));
  EXPECT_TRUE(limiter.allow(clock.now()));
  int allowed = 0;
  for (int step = 0; step < 3000; ++step) {  // 3 s in 1 ms steps
    clock.advance(1ms);
    if (limiter.allow(clock.now())) ++allowed;
  }
  EXPECT_EQ(allowed, 9);  // the 9th exactly at 3 s: no fraction was lost on the way
}

TEST(LeaseRateLimiter, BurstCapsTheCredit) {
  hal::FakeClock clock;
  RateLimiter limiter(10, 2);
  clock.advance(10s);
  EXPECT_TRUE(limiter.allow(clock.now()));
  EXPECT_TRUE(limiter.allow(clock.now()));
  EXPECT_FALSE(limiter.allow(clock.now()));
}

TEST(LeaseRateLimiter, SteadyRateAtTheLimitIsNeverRefused) {
  hal::FakeClock clock;
  RateLimiter limiter(1000);
  for (int i = 0; i < 5000; ++i) {
    ASSERT_TRUE(limiter.allow(clock.now())) << i;
    clock.advance(1ms);
  }
}

TEST(LeaseRateLimiter, LongIdleRefillsOnlyToTheBurst) {
  hal::FakeClock clock;
  RateLimiter limiter(4'000'000'000U, 5);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.allow(clock.now()));
  EXPECT_FALSE(limiter.allow(clock.now()));
  clock.advance(std::chrono::hours(24 * 365 * 100));  // no overflow after a century
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.allow(clock.now()));
  EXPECT_FALSE(limiter.allow(clock.now()));
}

TEST(LeaseRateLimiter, ZeroRateAllowsNothing) {
  hal::FakeClock clock;
  RateLimiter limiter(0);
  EXPECT_FALSE(limiter.allow(clock.now()));
  clock.advance(10s);
  EXPECT_FALSE(limiter.allow(clock.now()));
}

TEST(LeaseRateLimiter, ClockGoingBackwardsAddsNothing) {
  hal::FakeClock clock;
  RateLimiter limiter(1);
  const hal::MonoTime start = clock.now();
  EXPECT_TRUE(limiter.allow(start));
  EXPECT_FALSE(limiter.allow(start - 10s));
  EXPECT_FALSE(limiter.allow(start + 999ms));
  EXPECT_TRUE(limiter.allow(start + 1s));
}

}  // namespace
}  // namespace lifeline
