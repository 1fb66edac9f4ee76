// Host-test support: the real lifeline binary beside a fake systemd Manager on a private
// dbus-daemon, as the exclusivity host tests use it. The fixture owns the pieces; each test
// decides when the bus and the fake come up (a test of lifeline starting before the bus
// starts the bus itself, later), and with which configuration lifeline runs.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "support/fake_unit_manager.hpp"
#include "support/memory_rig.hpp"
#include "support/process.hpp"
#include "support/system_bus.hpp"

namespace lifeline::test {

class SystemdAgentFixture : public ::testing::Test {
 protected:
  void SetUp() override { bus_ = std::make_unique<DBusDaemon>(bus_dir_.path()); }
  // The fake Manager on the (started) bus.
  void start_systemd() {
    systemd_ = std::make_unique<FakeUnitManager>(bus_->address());
    ASSERT_TRUE(systemd_->ok()) << bus_->log();
  }
  // lifeline with `config_toml` added to the sim board's config, finding the bus through
  // DBUS_SYSTEM_BUS_ADDRESS as on a robot it finds /run/dbus/system_bus_socket.
  void launch_agent(const std::string& config_toml) {
    config_ = write_sim_config(dir_, config_toml);
    agent_ = std::make_unique<AgentProcess>(config_, dir_.file("agent.log"));
    agent_->set_env({"DBUS_SYSTEM_BUS_ADDRESS=" + bus_->address()});
    agent_->start();
  }
  // The exclusivity part of `lifeline status --json`; empty when the agent did not answer.
  nlohmann::json exclusivity_status() {
    return agent_status(config_).value("exclusivity", nlohmann::json::object());
  }

  TempDir bus_dir_;
  TempDir dir_;
  std::unique_ptr<DBusDaemon> bus_;
  std::unique_ptr<FakeUnitManager> systemd_;
  std::string config_;
  std::unique_ptr<AgentProcess> agent_;
};

}  // namespace lifeline::test
