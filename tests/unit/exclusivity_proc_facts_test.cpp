// The /proc parsers of the exclusivity check, on lines copied from a Debian 12 machine.
#include "exclusivity/proc_facts.hpp"

#include <gtest/gtest.h>

#include <string>

namespace lifeline::exclusivity {
namespace {

using namespace std::string_literals;

// /proc/net/tcp: a loopback listener on 38621, one on all addresses on 2024, and a
// connection in TIME_WAIT (state 06) that holds no port.
constexpr const char* kTcp =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
    "inode                                                     \n"
    "   0: 0100007F:96DD 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "
    "3395709 1 00000000e6c959a8 100 0 0 10 0                   \n"
    "   1: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "
    "549 1 0000000073ceef5c 100 0 0 10 0                       \n"
    "   2: 0100007F:807A 0100007F:CF01 06 00000000:00000000 03:0000042F 00000000     0        0 "
    "0 3 000000007e6423c6                                      \n";

// /proc/net/tcp6: a listener on [::]:8554.
constexpr const char* kTcp6 =
    "  sl  local_address                         remote_address                        st "
    "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000000000000000000000000000:216A 00000000000000000000000000000000:0000 0A "
    "00000000:00000000 00:00000000 00000000     0        0 3394781 1 00000000b9ab22e7 100 0 0 "
    "10 0\n";

// /proc/net/udp and udp6: bound on 127.0.0.1:8888 and [::1]:8889 (state 07, unconnected).
constexpr const char* kUdp =
    "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode ref pointer drops            \n"
    " 7470: 0100007F:22B8 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 "
    "3394782 2 00000000afadad87 0       \n";
constexpr const char* kUdp6 =
    "  sl  local_address                         remote_address                        st "
    "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
    " 7471: 00000000000000000000000001000000:22B9 00000000000000000000000000000000:0000 07 "
    "00000000:00000000 00:00000000 00000000     0        0 3394783 2 000000003c788980 0\n";

TEST(ExclusivityProcNet, TcpListenersOnlyWithPortAndInode) {
  const auto sockets = parse_proc_net(kTcp, PortProto::tcp);
  ASSERT_EQ(sockets.size(), 2U);
  EXPECT_EQ(sockets[0], (PortSocket{PortProto::tcp, 38621, 3395709}));
  EXPECT_EQ(sockets[1], (PortSocket{PortProto::tcp, 2024, 549}));
}

TEST(ExclusivityProcNet, Tcp6Listener) {
  const auto sockets = parse_proc_net(kTcp6, PortProto::tcp);
  ASSERT_EQ(sockets.size(), 1U);
  EXPECT_EQ(sockets[0], (PortSocket{PortProto::tcp, 8554, 3394781}));
}

TEST(ExclusivityProcNet, UdpBoundSockets) {
  auto sockets = parse_proc_net(kUdp, PortProto::udp);
  ASSERT_EQ(sockets.size(), 1U);
  EXPECT_EQ(sockets[0], (PortSocket{PortProto::udp, 8888, 3394782}));
  sockets = parse_proc_net(kUdp6, PortProto::udp);
  ASSERT_EQ(sockets.size(), 1U);
  EXPECT_EQ(sockets[0], (PortSocket{PortProto::udp, 8889, 3394783}));
}

TEST(ExclusivityProcNet, StateMeansDifferentThingsPerProtocol) {
  // 07 in a TCP table is a closed socket; 0A in a UDP table does not occur: neither counts.
  EXPECT_TRUE(parse_proc_net(kUdp, PortProto::tcp).empty());
  EXPECT_TRUE(parse_proc_net(kTcp6, PortProto::udp).empty());
}

TEST(ExclusivityProcNet, MalformedRowsAreSkipped) {
  EXPECT_TRUE(parse_proc_net("", PortProto::tcp).empty());
  EXPECT_TRUE(parse_proc_net("   0: 0100007F 00000000:0000 0A", PortProto::tcp).empty());
  EXPECT_TRUE(
      parse_proc_net("   0: 0100007F:ZZZZ 00000000:0000 0A 0:0 0:0 0 0 0 5\n", PortProto::tcp)
          .empty());
  // Port 0 and a missing inode hold nothing.
  EXPECT_TRUE(
      parse_proc_net("   0: 0100007F:0000 00000000:0000 0A 0:0 0:0 0 0 0 5\n", PortProto::tcp)
          .empty());
  EXPECT_TRUE(
      parse_proc_net("   0: 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 0 0 x\n", PortProto::tcp)
          .empty());
  EXPECT_EQ(
      parse_proc_net("   0: 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 0 0 5", PortProto::tcp).size(),
      1U);  // no trailing newline
}

TEST(ExclusivityCgroup, V1NameSystemdLineWinsOnAHybridBox) {
  // A hybrid box (this one): v1 controllers, name=systemd and the empty v2 line.
  const std::string text =
      "9:name=systemd:/system.slice/mediamtx.service\n8:pids:/\n"
      "4:memory:/process_api/c377ad30451baa46bc4e4dc08457a1fa\n1:cpu:/\n0::/\n";
  EXPECT_EQ(systemd_cgroup_of(text), "/system.slice/mediamtx.service");
  EXPECT_EQ(unit_of_cgroup(systemd_cgroup_of(text)), "mediamtx.service");
}

TEST(ExclusivityCgroup, V2LineOnAUnifiedBox) {
  EXPECT_EQ(systemd_cgroup_of("0::/system.slice/avatar-tank.service\n"),
            "/system.slice/avatar-tank.service");
  EXPECT_EQ(systemd_cgroup_of("0::/user.slice/user-1000.slice/session-3.scope"),
            "/user.slice/user-1000.slice/session-3.scope");
  EXPECT_EQ(systemd_cgroup_of("4:memory:/x\n"), "");
  EXPECT_EQ(systemd_cgroup_of(""), "");
}

TEST(ExclusivityCgroup, UnitIsTheLastServiceOrScopeComponent) {
  EXPECT_EQ(unit_of_cgroup("/system.slice/mediamtx.service"), "mediamtx.service");
  EXPECT_EQ(unit_of_cgroup("/lifeline-test-42/mediamtx.service"), "mediamtx.service");
  // A unit's own sub-cgroups (delegation) still belong to it.
  EXPECT_EQ(unit_of_cgroup("/system.slice/docker.service/payload"), "docker.service");
  EXPECT_EQ(unit_of_cgroup("/user.slice/user-1000.slice/user@1000.service/app.slice/"
                           "run-r1.service"),
            "run-r1.service");
  EXPECT_EQ(unit_of_cgroup("/user.slice/user-1000.slice/session-3.scope"), "session-3.scope");
  EXPECT_EQ(unit_of_cgroup("/"), "");
  EXPECT_EQ(unit_of_cgroup("/system.slice"), "");
  EXPECT_EQ(unit_of_cgroup("/.service"), "");  // a bare suffix is no unit name
}

TEST(ExclusivityProcText, CmdlineAndArgv0) {
  const std::string raw = "/usr/bin/python3\0-u\0modules/mediamtx_main.py\0"s;
  EXPECT_EQ(cmdline_text(raw), "/usr/bin/python3 -u modules/mediamtx_main.py");
  EXPECT_EQ(argv0(raw), "/usr/bin/python3");
  EXPECT_EQ(cmdline_text(""), "");
  EXPECT_EQ(argv0(""), "");
}

TEST(ExclusivityProcText, SocketLinks) {
  EXPECT_EQ(socket_inode("socket:[3394781]"), 3394781U);
  EXPECT_FALSE(socket_inode("pipe:[3394781]").has_value());
  EXPECT_FALSE(socket_inode("/dev/null").has_value());
  EXPECT_FALSE(socket_inode("socket:[]").has_value());
  EXPECT_FALSE(socket_inode("socket:[12x]").has_value());
}

}  // namespace
}  // namespace lifeline::exclusivity
