// The page's shared helpers and the memory guard's parts (memory, SSH).
#include <cstdio>

#include "rescue/escape.hpp"
#include "rescue/page_html.hpp"

namespace lifeline::rescue {

using nlohmann::json;

std::string text_of(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "-";
  if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

const json& part(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  const auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

void row(std::string& out, std::string_view label, const std::string& value, const char* id) {
  out += "<tr><th>";
  append_html(out, label);
  out += id != nullptr ? std::string("</th><td id=\"") + id + "\">" : std::string("</th><td>");
  append_html(out, value);
  out += "</td></tr>";
}

void generic_part(std::string& out, const char* title, const json& value) {
  out += "<section><h2>";
  append_html(out, title);
  out += "</h2>";
  if (!value.is_object()) {
    out += "<p class=\"muted\">not monitored on this robot</p></section>";
    return;
  }
  out += "<table>";
  for (const auto& [key, item] : value.items()) {
    if (item.is_object()) continue;
    if (item.is_array()) {
      std::string names;
      for (const auto& element : item) {
        const json& name = part(element, "name");
        names += (names.empty() ? "" : ", ") + (name.is_null() ? text_of(element) : text_of(name));
        if (names.size() > 300) break;
      }
      row(out, key, names.empty() ? "none" : names);
    } else {
      row(out, key, text_of(item));
    }
  }
  out += "</table></section>";
}

namespace {

std::string mib(const json& bytes) {
  if (!bytes.is_number()) return "-";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.0f MiB", bytes.get<double>() / (1024.0 * 1024.0));
  return buffer;
}

std::string number_text(const json& value, const char* format) {
  if (!value.is_number()) return "-";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, format, value.get<double>());
  return buffer;
}

}  // namespace

void memory_part(std::string& out, const json& memory) {
  if (!memory.is_object()) {
    generic_part(out, "Memory", memory);
    return;
  }
  out += "<section><h2>Memory</h2><table>";
  row(out, "Available",
      mib(part(memory, "mem_available_bytes")) + " of " + mib(part(memory, "mem_total_bytes")),
      "mem-available");
  const json& psi = part(memory, "psi");
  row(out, "Pressure (PSI avg10)",
      psi.is_object() ? "some " + number_text(part(psi, "some_avg10"), "%.2f") + " %, full " +
                            number_text(part(psi, "full_avg10"), "%.2f") + " %"
                      : std::string("not available"));
  const json& swap_total = part(memory, "swap_total_bytes");
  row(out, "Swap",
      swap_total.is_number() && swap_total.get<double>() > 0
          ? mib(part(memory, "swap_free_bytes")) + " free of " + mib(swap_total)
          : std::string("none"));
  const json& domains = part(memory, "domains");
  if (domains.is_array()) {
    for (const auto& domain : domains) {
      const json& eta = part(domain, "eta_s");
      std::string text = text_of(part(domain, "level"));
      if (part(domain, "leak") == true) text += ", growing";
      if (eta.is_number()) text += ", full in " + number_text(eta, "%.0f") + " s";
      row(out, "Guard " + text_of(part(domain, "name")), text);
    }
  }
  const json& kills = part(memory, "kills");
  if (kills.is_object()) {
    row(out, "OOM kills",
        "kernel " + text_of(part(kills, "kernel_logged")) + ", lifeline " +
            text_of(part(kills, "lifeline")));
  }
  const json& top = part(memory, "top");
  if (top.is_array() && !top.empty()) {
    std::string list;
    for (std::size_t i = 0; i < top.size() && i < 5; ++i) {
      // Process names are chosen by whoever started the process: escaped by row().
      list += (i == 0 ? "" : ", ") + text_of(part(top[i], "comm")) + " " +
              number_text(part(top[i], "rss_kb"), "%.0f") + " KiB";
    }
    row(out, "Largest processes", list, "top-rss");
  }
  out += "</table></section>";
}

void ssh_part(std::string& out, const json& ssh) {
  if (!ssh.is_object()) {
    generic_part(out, "SSH", ssh);
    return;
  }
  out += "<section><h2>SSH</h2><table>";
  const json& reachable = part(ssh, "reachable");
  row(out, "sshd",
      reachable.is_null() ? std::string("not probed yet")
                          : (reachable == true ? "answers" : "NOT answering"),
      "ssh");
  row(out, "Address", text_of(part(ssh, "address")));
  row(out, "Last answer", text_of(part(ssh, "detail")));
  row(out, "Restarts by lifeline", text_of(part(ssh, "restarts")));
  out += "</table></section>";
}

}  // namespace lifeline::rescue
