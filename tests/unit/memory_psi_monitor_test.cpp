// The PSI monitor on a kernel without PSI (no /proc/pressure/memory): start() says why,
// once, and nothing is left registered; the guard then samples MemAvailable alone.
#include <gtest/gtest.h>

#include "agent/event_loop.hpp"
#include "memory/psi_monitor.hpp"

namespace lifeline::memory {
namespace {

TEST(MemoryPsiMonitor, AKernelWithoutPsiIsAnErrorThatNamesTheFile) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop);
  int fired = 0;
  PsiMonitor monitor("/nonexistent/pressure/memory", PsiConfig{},
                     [&](std::string_view) { ++fired; });
  const auto started = monitor.start(**loop);
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().message.find("/nonexistent/pressure/memory"), std::string::npos)
      << started.error().message;
  EXPECT_TRUE(monitor.triggers().empty());
  EXPECT_FALSE(monitor.read().has_value());
  EXPECT_EQ(fired, 0);
}

TEST(MemoryPsiMonitor, DisabledRegistersNothing) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop);
  PsiConfig config;
  config.enabled = false;
  PsiMonitor monitor("/proc/pressure/memory", config, [](std::string_view) {});
  EXPECT_TRUE(monitor.start(**loop));
  EXPECT_TRUE(monitor.triggers().empty());
}

}  // namespace
}  // namespace lifeline::memory
