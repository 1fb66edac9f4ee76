// LoadUnit, the first step of both readers of a unit's properties (UnitJobs::control_group
// and the exclusivity survey's SystemdUnits), against a fake systemd Manager on a real
// dbus-daemon: the object path systemd names, and its refusal passed on word for word.
#include <gtest/gtest.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "agent/bus_call.hpp"
#include "agent/event_loop.hpp"
#include "agent/unit_jobs.hpp"
#include "support/fake_unit_manager.hpp"
#include "support/process.hpp"
#include "support/system_bus.hpp"

namespace lifeline::test {
namespace {

using namespace std::chrono_literals;

const std::string kRefused =
    "LoadUnit(nope.service): org.freedesktop.systemd1.NoSuchUnit: Unit nope.service not found.";

class LoadUnitHost : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::access("/usr/bin/dbus-daemon", X_OK), 0) << "the test needs dbus-daemon";
    daemon_ = std::make_unique<DBusDaemon>(dir_.path());
    ASSERT_TRUE(daemon_->start()) << daemon_->log();
    address_.emplace(daemon_->address());
    systemd_ = std::make_unique<FakeUnitManager>(daemon_->address());
    ASSERT_TRUE(systemd_->ok()) << daemon_->log();
    FakeService app;
    app.name = "app.service";
    app.active_state = "active";
    systemd_->add(app);
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop) << loop.error().message;
    loop_ = std::move(*loop);
  }

  void TearDown() override {
    if (bus_ != nullptr) sd_bus_flush_close_unref(bus_);
    systemd_.reset();
    daemon_.reset();  // SIGKILL and reap, by PID
    loop_.reset();
    address_.reset();
  }

  // A system bus connection on the loop, as UnitJobs and SystemdUnits open theirs.
  sd_bus* bus() {
    if (bus_ == nullptr) {
      EXPECT_GE(sd_bus_open_system(&bus_), 0);
      EXPECT_GE(sd_bus_attach_event(bus_, loop_->raw(), 0), 0);
    }
    return bus_;
  }

  bool run_until(const std::function<bool()>& done) {
    return run_loop_until(loop_->raw(), done, 5s);
  }

  // load_unit's answer for `unit`.
  std::optional<Expected<std::string>> load(const std::string& unit) {
    std::optional<Expected<std::string>> answer;
    const int r = load_unit(
        bus(), unit, [&answer](Expected<std::string> path) { answer.emplace(std::move(path)); });
    EXPECT_GE(r, 0);
    EXPECT_TRUE(run_until([&] { return answer.has_value(); }));
    return answer;
  }

  // UnitJobs::control_group's answer for `unit`.
  std::optional<Expected<std::string>> control_group(UnitJobs& jobs, const std::string& unit) {
    std::optional<Expected<std::string>> answer;
    const auto sent = jobs.control_group(
        unit, [&answer](Expected<std::string> cgroup) { answer.emplace(std::move(cgroup)); });
    EXPECT_TRUE(sent) << sent.error().message;
    EXPECT_TRUE(run_until([&] { return answer.has_value(); }));
    return answer;
  }

  TempDir dir_;
  std::unique_ptr<DBusDaemon> daemon_;
  std::unique_ptr<FakeUnitManager> systemd_;
  std::unique_ptr<EventLoop> loop_;
  sd_bus* bus_ = nullptr;
  std::optional<SystemBusAddress> address_;
};

TEST_F(LoadUnitHost, AnswersWithTheObjectPathSystemdNames) {
  const auto answer = load("app.service");
  ASSERT_TRUE(answer.has_value());
  ASSERT_TRUE(*answer) << answer->error().message;
  EXPECT_EQ(answer->value(), "/org/freedesktop/systemd1/unit/app_2eservice");
}

TEST_F(LoadUnitHost, SaysWhySystemdRefused) {
  const auto answer = load("nope.service");
  ASSERT_TRUE(answer.has_value());
  ASSERT_FALSE(*answer);
  EXPECT_EQ(answer->error().message, kRefused);
}

TEST_F(LoadUnitHost, ControlGroupReadsTheLoadedUnitsProperty) {
  UnitJobs jobs(*loop_);
  const auto answer = control_group(jobs, "app.service");
  ASSERT_TRUE(answer.has_value());
  ASSERT_TRUE(*answer) << answer->error().message;
  EXPECT_EQ(answer->value(), "/system.slice/app.service");
}

TEST_F(LoadUnitHost, ControlGroupPassesTheRefusalOn) {
  UnitJobs jobs(*loop_);
  const auto answer = control_group(jobs, "nope.service");
  ASSERT_TRUE(answer.has_value());
  ASSERT_FALSE(*answer);
  EXPECT_EQ(answer->error().message, kRefused);
  EXPECT_EQ(answer->error().errno_value, EIO);
}

}  // namespace
}  // namespace lifeline::test
