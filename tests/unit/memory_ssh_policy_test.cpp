// The SSH reachability policy: consecutive failures, raise/clear, rate-limited restarts.
#include <gtest/gtest.h>

#include "memory/ssh_policy.hpp"

namespace lifeline::memory {
namespace {

using std::chrono::seconds;

hal::MonoTime at(int s) {
  return hal::MonoTime{} + seconds(s);
}

const SshProbeResult kOk{true, "SSH-2.0-OpenSSH_9.2p1", {}};
const SshProbeResult kFail{false, "connect: Connection refused", {}};

TEST(MemorySshPolicy, RaisesAfterConsecutiveFailuresOnlyAndRestartsOnce) {
  SshPolicy policy(SshPolicySettings{3, seconds(300), true});
  EXPECT_FALSE(policy.on_result(at(0), kFail).raise);
  EXPECT_FALSE(policy.on_result(at(5), kFail).raise);
  const auto third = policy.on_result(at(10), kFail);
  EXPECT_TRUE(third.raise);
  EXPECT_TRUE(third.restart);
  EXPECT_TRUE(policy.unreachable());
  const auto fourth = policy.on_result(at(15), kFail);
  EXPECT_FALSE(fourth.raise);  // already raised
  EXPECT_FALSE(fourth.restart);
  EXPECT_TRUE(fourth.restart_held);
  EXPECT_TRUE(policy.on_result(at(310), kFail).restart);  // the interval has passed
}

TEST(MemorySshPolicy, ASuccessInBetweenResetsTheCount) {
  SshPolicy policy(SshPolicySettings{2, seconds(300), true});
  policy.on_result(at(0), kFail);
  policy.on_result(at(1), kOk);
  EXPECT_FALSE(policy.on_result(at(2), kFail).raise);
  EXPECT_EQ(policy.consecutive_failures(), 1U);
}

TEST(MemorySshPolicy, ClearsOnTheFirstSuccess) {
  SshPolicy policy(SshPolicySettings{1, seconds(300), true});
  EXPECT_TRUE(policy.on_result(at(0), kFail).raise);
  const auto back = policy.on_result(at(1), kOk);
  EXPECT_TRUE(back.clear);
  EXPECT_FALSE(policy.unreachable());
  EXPECT_FALSE(policy.on_result(at(2), kOk).clear);  // only once
}

TEST(MemorySshPolicy, NoUnitOrZeroIntervalNeverRestarts) {
  SshPolicy no_unit(SshPolicySettings{1, seconds(300), false});
  EXPECT_FALSE(no_unit.on_result(at(0), kFail).restart);
  SshPolicy never(SshPolicySettings{1, seconds(0), true});
  const auto d = never.on_result(at(0), kFail);
  EXPECT_TRUE(d.raise);
  EXPECT_FALSE(d.restart);
}

TEST(MemorySshPolicy, FailuresBeforeSshdFirstAnswersWaitForTheStartGrace) {
  SshPolicy policy(SshPolicySettings{2, seconds(300), true, seconds(60)});
  EXPECT_FALSE(policy.on_result(at(0), kFail).raise);  // sshd still starting at boot
  EXPECT_FALSE(policy.on_result(at(30), kFail).raise);
  EXPECT_EQ(policy.consecutive_failures(), 0U);
  EXPECT_FALSE(policy.on_result(at(60), kFail).raise);  // the grace is over: counted
  const auto second = policy.on_result(at(62), kFail);
  EXPECT_TRUE(second.raise);
  EXPECT_TRUE(second.restart);
}

TEST(MemorySshPolicy, OnceSshdHasAnsweredTheGraceNoLongerApplies) {
  SshPolicy policy(SshPolicySettings{2, seconds(300), true, seconds(60)});
  policy.on_result(at(0), kOk);
  policy.on_result(at(1), kFail);
  EXPECT_TRUE(policy.on_result(at(2), kFail).raise);
}

}  // namespace
}  // namespace lifeline::memory
