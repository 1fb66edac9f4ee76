// Host-test support for the rescue page: a tiny loopback HTTP/1.1 client (one request per
// connection, as the server closes after each), and a rig that starts the real lifeline
// with [rescue] enabled on a free port.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "support/process.hpp"

namespace lifeline::test {

struct HttpReply {
  int status = 0;                                   // 0: no answer (refused, closed, timed out)
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;
  [[nodiscard]] std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

inline int connect_loopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

inline bool send_all(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads until the peer closes or `timeout` passes; nullopt on timeout.
inline std::optional<std::string> read_to_close(int fd, std::chrono::milliseconds timeout) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[16384];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return out;
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

inline HttpReply parse_reply(const std::string& raw) {
  HttpReply reply;
  const std::size_t end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || !raw.starts_with("HTTP/1.")) return reply;
  reply.status = std::stoi(raw.substr(9, 3));
  std::size_t line = raw.find("\r\n") + 2;
  while (end != std::string::npos && line < end) {
    const std::size_t next = raw.find("\r\n", line);
    const std::string text = raw.substr(line, next - line);
    const std::size_t colon = text.find(':');
    if (colon != std::string::npos) {
      std::string name = text.substr(0, colon);
      for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      std::size_t start = colon + 1;
      while (start < text.size() && text[start] == ' ') ++start;
      reply.headers.emplace(name, text.substr(start));
    }
    line = next + 2;
  }
  if (end != std::string::npos) reply.body = raw.substr(end + 4);
  return reply;
}

// Sends `raw` as it is; the reply, or status 0.
inline HttpReply http_raw(int port, const std::string& raw,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const int fd = connect_loopback(port);
  if (fd < 0) return {};
  HttpReply reply;
  if (send_all(fd, raw)) {
    if (auto got = read_to_close(fd, timeout)) reply = parse_reply(*got);
  }
  ::close(fd);
  return reply;
}

struct HttpRequest {
  // Positional like the request line, then headers: {"POST", "/login", host, cookie, ...}.
  HttpRequest(std::string method_in = "GET", std::string target_in = "/",
              std::string host_in = "127.0.0.1", std::string cookie_in = "",
              std::string origin_in = "", std::string content_type_in = "",
              std::string body_in = "", std::string extra_headers_in = "")
      : method(std::move(method_in)),
        target(std::move(target_in)),
        host(std::move(host_in)),
        cookie(std::move(cookie_in)),
        origin(std::move(origin_in)),
        content_type(std::move(content_type_in)),
        body(std::move(body_in)),
        extra_headers(std::move(extra_headers_in)) {}
  std::string method;
  std::string target;
  std::string host;
  std::string cookie;
  std::string origin;
  std::string content_type;
  std::string body;
  std::string extra_headers;  // "Name: value\r\n" lines
};

inline HttpReply http(int port, const HttpRequest& r,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  std::string raw = r.method + " " + r.target + " HTTP/1.1\r\nHost: " + r.host + ":" +
                    std::to_string(port) + "\r\nConnection: close\r\n";
  if (!r.cookie.empty()) raw += "Cookie: " + r.cookie + "\r\n";
  if (!r.origin.empty()) raw += "Origin: " + r.origin + "\r\n";
  if (!r.content_type.empty()) raw += "Content-Type: " + r.content_type + "\r\n";
  if (r.method == "POST") raw += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  raw += r.extra_headers + "\r\n" + r.body;
  return http_raw(port, raw, timeout);
}

// lifeline with [rescue] on 127.0.0.1 and a kernel-chosen port; `extra` adds TOML.
struct RescueRig {
  TempDir dir;
  std::string config;
  std::unique_ptr<AgentProcess> agent;
  int port = 0;

  explicit RescueRig(const std::string& extra = "", const std::string& rescue_extra = "") {
    config = write_sim_config(dir,
                              "[rescue]\nenabled = true\nlisten = [\"127.0.0.1:0\"]\n"
                              "password_file = \"" +
                                  dir.file("rescue.passwd") + "\"\n" + rescue_extra + extra);
  }
  [[nodiscard]] std::string origin() const { return "http://127.0.0.1:" + std::to_string(port); }
  // Starts lifeline and reads the page's port from its "rescue page at" record.
  bool start() {
    agent = std::make_unique<AgentProcess>(config, dir.file("out.log"));
    agent->start();
    const std::string marker = "rescue page at http://127.0.0.1:";
    if (!agent->wait_for_output(marker, std::chrono::seconds(15))) return false;
    const std::string out = agent->output();
    port = std::stoi(out.substr(out.find(marker) + marker.size()));
    return port > 0;
  }
  // The visitor's anonymous CSRF token (the ll_anon cookie the page sets).
  std::string anon_token() const {
    const HttpReply page = http(port, {});
    const std::string cookie = page.header("set-cookie");
    return cookie.starts_with("ll_anon=") ? cookie.substr(8, 64) : std::string();
  }
  void stop() {
    agent->signal(SIGTERM);
    EXPECT_EQ(agent->wait_exit(std::chrono::seconds(15)), 0) << agent->output();
  }
};

}  // namespace lifeline::test
