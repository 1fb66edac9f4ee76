// The exclusivity policy: which processes are duplicates of a role, and what to run.
#include "exclusivity/conflicts.hpp"

#include <gtest/gtest.h>

namespace lifeline::exclusivity {
namespace {

constexpr RolePort kRtsp{PortProto::tcp, 8554};
constexpr RolePort kHls{PortProto::tcp, 8888};
constexpr RolePort kWebrtcUdp{PortProto::udp, 8189};

RoleConfig media_role(ExclusivityMode mode = ExclusivityMode::report) {
  RoleConfig role;
  role.name = "media";
  role.unit = "avatar-tank.service";
  role.ports = {kRtsp, kHls, kWebrtcUdp};
  role.binaries = {"/usr/local/bin/mediamtx"};
  role.mode = mode;
  return role;
}

ProcessFact process(pid_t pid, const std::string& unit, const std::string& exe,
                    const std::string& cmdline, pid_t ppid = 1) {
  return ProcessFact{pid,     ppid,
                     exe,     cmdline.substr(0, cmdline.find(' ')),
                     cmdline, unit.empty() ? "/" : "/system.slice/" + unit,
                     unit};
}

// 2025-10-24: avatar-tank.service's mediamtx holds the ports; mediamtx.service runs a
// second one that holds the HLS port on another address family.
Observation incident_1024() {
  Observation seen;
  seen.processes = {
      process(3000, "avatar-tank.service", "/usr/bin/python3", "python3 -u main.py"),
      process(3019, "avatar-tank.service", "/usr/local/bin/mediamtx", "/usr/local/bin/mediamtx",
              3000),
      process(4100, "mediamtx.service", "/usr/local/bin/mediamtx",
              "/usr/local/bin/mediamtx /etc/mediamtx.yml"),
  };
  seen.holders = {{kRtsp, 3019}, {kHls, 3019}, {kHls, 4100}, {kWebrtcUdp, 3019}};
  return seen;
}

TEST(ExclusivityConflicts, TheOwnerAloneIsNoConflict) {
  Observation seen = incident_1024();
  seen.processes.pop_back();
  seen.holders.erase(seen.holders.begin() + 2);
  EXPECT_TRUE(find_conflicts({media_role()}, seen).empty());
}

TEST(ExclusivityConflicts, ADuplicateUnitOnAPortAndBinaryNamesBothSidesAndTheFix) {
  const auto conflicts = find_conflicts({media_role()}, incident_1024());
  ASSERT_EQ(conflicts.size(), 3U);  // the port, the binary, one instance too many
  const Conflict& port = conflicts[0];
  EXPECT_EQ(port.kind, ConflictKind::port);
  EXPECT_EQ(port.role, "media");
  EXPECT_EQ(port.shared, "tcp/8888");
  EXPECT_EQ(port.unit, "mediamtx.service");
  EXPECT_EQ(port.owner, "avatar-tank.service");
  EXPECT_EQ(port.pid, 4100);
  EXPECT_EQ(port.cmdline, "/usr/local/bin/mediamtx /etc/mediamtx.yml");
  EXPECT_EQ(port.fix, "systemctl stop mediamtx.service && systemctl mask mediamtx.service");
  EXPECT_TRUE(port.stoppable());
  EXPECT_EQ(conflicts[1].kind, ConflictKind::binary);
  EXPECT_EQ(conflicts[1].shared, "/usr/local/bin/mediamtx");
  EXPECT_EQ(conflicts[1].unit, "mediamtx.service");
  EXPECT_EQ(conflicts[2].kind, ConflictKind::instances);
  EXPECT_EQ(conflicts[2].shared, "mediamtx: 2 running, 1 allowed");
  EXPECT_EQ(conflicts[2].unit, "mediamtx.service");  // the duplicate, not the owner
  for (const Conflict& c : conflicts) EXPECT_NE(c.unit, "avatar-tank.service");
}

TEST(ExclusivityConflicts, AStrayProcessIsReportedWithItsPidAndCmdline) {
  Observation seen;
  seen.processes = {process(777, "", "/usr/bin/python3", "python3 -m http.server 8554")};
  seen.holders = {{kRtsp, 777}};
  const auto conflicts = find_conflicts({media_role()}, seen);
  ASSERT_EQ(conflicts.size(), 1U);
  EXPECT_EQ(conflicts[0].unit, "");
  EXPECT_EQ(conflicts[0].pid, 777);
  EXPECT_EQ(conflicts[0].cmdline, "python3 -m http.server 8554");
  EXPECT_EQ(conflicts[0].fix, "kill 777");
  EXPECT_FALSE(conflicts[0].stoppable());
}

TEST(ExclusivityConflicts, AScopeIsReportedButNeverStopped) {
  Observation seen;
  seen.processes = {process(900, "session-3.scope", "/usr/local/bin/mediamtx", "mediamtx")};
  seen.holders = {{kRtsp, 900}};
  const auto conflicts = find_conflicts({media_role(ExclusivityMode::stop)}, seen);
  ASSERT_FALSE(conflicts.empty());
  EXPECT_EQ(conflicts[0].unit, "session-3.scope");
  EXPECT_FALSE(conflicts[0].stoppable());  // stopping it would end someone's login
  EXPECT_EQ(conflicts[0].fix, "kill 900");
}

TEST(ExclusivityConflicts, AUnitIsOneDuplicateWhateverItsProcesses) {
  Observation seen = incident_1024();
  // A second listener process in the duplicate unit (SO_REUSEPORT), not a child.
  seen.processes.push_back(process(4101, "mediamtx.service", "/usr/bin/socat", "socat"));
  seen.holders.push_back({kHls, 4101});
  seen.holders.push_back({kRtsp, 4100});
  const auto conflicts = find_conflicts({media_role()}, seen);
  int port_conflicts_for_unit = 0;
  for (const Conflict& c : conflicts) {
    if (c.kind == ConflictKind::port && c.unit == "mediamtx.service") ++port_conflicts_for_unit;
  }
  EXPECT_EQ(port_conflicts_for_unit, 2);  // tcp/8554 and tcp/8888, each once
}

TEST(ExclusivityConflicts, ForkedChildrenAreTheirParentsInstance) {
  Observation seen;
  seen.processes = {process(10, "avatar-tank.service", "/usr/local/bin/mediamtx", "mediamtx"),
                    process(11, "avatar-tank.service", "/usr/local/bin/mediamtx", "mediamtx", 10),
                    process(12, "avatar-tank.service", "/usr/local/bin/mediamtx", "mediamtx", 11)};
  EXPECT_TRUE(find_conflicts({media_role()}, seen).empty());
}

TEST(ExclusivityConflicts, TooManyInstancesInsideTheOwner) {
  RoleConfig role = media_role();
  role.max_instances = 2;
  Observation seen;
  for (pid_t pid : {20, 21, 22}) {
    seen.processes.push_back(
        process(pid, "avatar-tank.service", "/usr/local/bin/mediamtx", "mediamtx"));
  }
  const auto conflicts = find_conflicts({role}, seen);
  ASSERT_EQ(conflicts.size(), 1U);
  EXPECT_EQ(conflicts[0].kind, ConflictKind::instances);
  EXPECT_EQ(conflicts[0].shared, "mediamtx: 3 running, 2 allowed");
  EXPECT_EQ(conflicts[0].pid, 22);
  EXPECT_EQ(conflicts[0].fix, "kill 22");  // never "stop the owner"
  EXPECT_FALSE(conflicts[0].stoppable());
}

TEST(ExclusivityConflicts, TheKeyIgnoresTheCountAndThePidOfAUnit) {
  Conflict a{"media",
             ConflictKind::instances,
             "mediamtx: 2 running, 1 allowed",
             "o.service",
             "d.service",
             5,
             "x",
             "fix",
             ""};
  Conflict b = a;
  b.shared = "mediamtx: 3 running, 1 allowed";
  b.pid = 6;
  EXPECT_EQ(a.key(), b.key());
  b.unit = "";
  EXPECT_NE(a.key(), b.key());
}

TEST(ExclusivityBinaries, PathsAndNames) {
  const ProcessFact mediamtx =
      process(1, "x.service", "/usr/local/bin/mediamtx", "/usr/local/bin/mediamtx");
  EXPECT_TRUE(runs_binary(mediamtx, "/usr/local/bin/mediamtx"));
  EXPECT_TRUE(runs_binary(mediamtx, "mediamtx"));
  EXPECT_FALSE(runs_binary(mediamtx, "/usr/bin/mediamtx"));
  EXPECT_FALSE(runs_binary(mediamtx, "media"));
  EXPECT_FALSE(runs_binary(mediamtx, ""));
  ProcessFact upgraded = mediamtx;
  upgraded.exe = "/usr/local/bin/mediamtx (deleted)";  // replaced on disk while running
  EXPECT_TRUE(runs_binary(upgraded, "/usr/local/bin/mediamtx"));
  // A name matches argv[0] too: the executable can be a loader or wrapper while argv[0]
  // names the program (`exec -a`, busybox-style multi-call binaries).
  const ProcessFact script = process(2, "", "/usr/bin/python3", "/opt/app/stream-relay -v");
  EXPECT_TRUE(runs_binary(script, "stream-relay"));
  EXPECT_FALSE(runs_binary(script, "relay"));
}

TEST(ExclusivityConflicts, HoldersText) {
  const Observation seen = incident_1024();
  EXPECT_EQ(holders_text(seen, kRtsp), "avatar-tank.service");
  EXPECT_EQ(holders_text(seen, kHls), "avatar-tank.service, mediamtx.service");
  EXPECT_EQ(holders_text(seen, RolePort{PortProto::udp, 1}), "nobody");
}

TEST(ExclusivityOwnerVerdict, TheOwnerHoldingEveryPortIsVerified) {
  Observation seen = incident_1024();
  seen.holders.erase(seen.holders.begin() + 2);  // mediamtx.service stopped
  const OwnerVerdict verdict = owner_verdict(media_role(), seen);
  EXPECT_EQ(verdict.result, OwnerVerdict::Result::holds);
  EXPECT_EQ(verdict.text,
            "tcp/8554 held by avatar-tank.service, tcp/8888 held by avatar-tank.service, "
            "udp/8189 held by avatar-tank.service");
}

TEST(ExclusivityOwnerVerdict, AnotherHolderOrAFreePortIsNotVerified) {
  Observation seen = incident_1024();
  EXPECT_EQ(owner_verdict(media_role(), seen).result, OwnerVerdict::Result::not_holding);
  seen.holders = {{kRtsp, 3019}, {kHls, 3019}};  // udp/8189 free
  const OwnerVerdict verdict = owner_verdict(media_role(), seen);
  EXPECT_EQ(verdict.result, OwnerVerdict::Result::not_holding);
  EXPECT_NE(verdict.text.find("udp/8189 held by nobody"), std::string::npos) << verdict.text;
}

// At boot the one-shot check runs before the app: nobody holds the ports, and that is not
// a finding while systemd says the owner is not running.
TEST(ExclusivityOwnerVerdict, AnOwnerNotRunningIsNotAFinding) {
  Observation seen;
  UnitFact owner;
  owner.name = "avatar-tank.service";
  for (const char* state : {"inactive", "failed", "deactivating"}) {
    owner.active_state = state;
    seen.units = {owner};
    const OwnerVerdict verdict = owner_verdict(media_role(), seen);
    EXPECT_EQ(verdict.result, OwnerVerdict::Result::owner_idle) << state;
    EXPECT_EQ(verdict.text.rfind(std::string("avatar-tank.service is ") + state, 0), 0U)
        << verdict.text;
  }
  // Running (or starting) and not holding them, or no unit facts at all: the ports decide.
  for (const char* state : {"active", "activating", "reloading"}) {
    owner.active_state = state;
    seen.units = {owner};
    EXPECT_EQ(owner_verdict(media_role(), seen).result, OwnerVerdict::Result::not_holding) << state;
  }
  seen.units.clear();
  EXPECT_EQ(owner_verdict(media_role(), seen).result, OwnerVerdict::Result::not_holding);
}

TEST(ExclusivityOwnerVerdict, ARoleWithoutPortsHasNothingToVerify) {
  RoleConfig role = media_role();
  role.ports.clear();
  EXPECT_EQ(owner_verdict(role, Observation{}).result, OwnerVerdict::Result::no_ports);
}

}  // namespace
}  // namespace lifeline::exclusivity
