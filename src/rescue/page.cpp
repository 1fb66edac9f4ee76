#include "rescue/page.hpp"

#include <ctime>

#include "rescue/auth.hpp"
#include "rescue/escape.hpp"
#include "rescue/page_html.hpp"

namespace lifeline::rescue {

namespace {

using nlohmann::json;

constexpr std::size_t kEventTextBytes = 160;  // per event message on the page (API has all)

constexpr std::string_view kStyle = R"(
body{font:16px/1.4 system-ui,sans-serif;margin:0;background:#f4f4f4;color:#111}
header{padding:12px 16px;color:#fff;background:#2e7d32}
header.degraded{background:#b26a00}header.bad{background:#b71c1c}
h1{font-size:1.3em;margin:0}h2{font-size:1.05em;margin:0 0 6px}
main{padding:8px;max-width:900px;margin:auto}
section{background:#fff;border-radius:8px;padding:10px 12px;margin:8px 0}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:3px 6px;
vertical-align:top;border-bottom:1px solid #eee}td{word-break:break-word}
th{white-space:nowrap;font-weight:600}#faults th{white-space:normal;width:40%}.t{white-space:nowrap;font-size:.85em;color:#555}
.actions form{display:inline-block;margin:4px}
button{font-size:1.1em;min-height:48px;min-width:120px;border-radius:8px;border:1px solid #888}
button.stop{background:#c62828;color:#fff;font-weight:bold;min-width:200px}
.notice{padding:10px;border-radius:8px;background:#e8f5e9}.notice.err{background:#ffebee}
.muted{color:#666}input{font-size:1.1em;min-height:40px}
)";

// Replaces the live parts with a fresh copy of this same page every 5 s; the server did all
// escaping, and DOMParser never runs scripts. Paused while the user types.
constexpr std::string_view kScript = R"(
setInterval(function(){var a=document.activeElement;if(a&&a.tagName==='INPUT')return;
fetch('/',{credentials:'same-origin',cache:'no-store'}).then(function(r){return r.text()})
.then(function(t){var d=new DOMParser().parseFromString(t,'text/html');
['live','live-events'].forEach(function(i){var n=d.getElementById(i),
o=document.getElementById(i);if(n&&o)o.replaceWith(document.importNode(n,true));});})
.catch(function(){});},5000);
)";

std::string time_text(std::int64_t realtime_us) {
  const std::time_t seconds = static_cast<std::time_t>(realtime_us / 1000000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%m-%d %H:%M:%S", &tm);
  return buffer;
}

void overview(std::string& out, const json& status) {
  const json& faults = part(status, "faults");
  out += "<section><h2>Active faults</h2>";
  if (!faults.is_array() || faults.empty()) {
    out += "<p id=\"faults\">none</p>";
  } else {
    out += "<table id=\"faults\">";
    for (const auto& fault : faults) {
      const json& blink = part(fault, "blink");
      std::string code = text_of(part(fault, "code")) + " " + text_of(part(fault, "fault"));
      std::string detail = text_of(part(fault, "severity")) + ", blink " +
                           (blink.is_array() && blink.size() == 2
                                ? text_of(blink[0]) + " long " + text_of(blink[1]) + " short"
                                : std::string("-")) +
                           ": " + text_of(part(fault, "detail"));
      row(out, code, detail);
    }
    out += "</table>";
  }
  out += "</section>";
}

void motion_part(std::string& out, const json& motion) {
  out += "<section><h2>Motors and app</h2>";
  if (!motion.is_object()) {
    out += "<p class=\"muted\" id=\"motors\">motion is not configured</p></section>";
    return;
  }
  out += "<table>";
  const std::string state = text_of(part(motion, "state"));
  const std::string why = state == "armed" ? std::string()
                                           : " (" + text_of(part(motion, "cause")) + ": " +
                                                 text_of(part(motion, "reason")) + ")";
  row(out, "Motors", state + why, "motors");
  const json& app = part(motion, "app");
  row(out, "App process",
      part(app, "process_watched") == true
          ? (part(app, "process_alive") == true ? "alive" : "not running")
          : "not watched");
  if (part(app, "lease_watched") == true) {
    row(out, "Heartbeat lease", part(app, "lease_alive") == true ? "renewed" : "expired");
  }
  if (part(app, "probe_watched") == true) {
    row(out, "HTTP probe", part(app, "probe_ok") == true ? "answers" : "failing");
  }
  row(out, "Crash loop", text_of(part(app, "crash_loop")));
  row(out, "App deaths", text_of(part(app, "deaths_total")));
  const json& unit = part(app, "unit");
  if (unit.is_object()) {
    row(out, "Unit",
        text_of(part(unit, "name")) + ": " + text_of(part(unit, "active_state")) + "/" +
            text_of(part(unit, "sub_state")));
  }
  out += "</table></section>";
}

void watchdog_part(std::string& out, const json& status) {
  const json& wd = part(status, "watchdog");
  const json& history = part(status, "history");
  out += "<section><h2>Watchdog and resets</h2><table>";
  row(out, "Watchdog",
      part(wd, "open") == true ? "open, " + text_of(part(wd, "device")) : std::string("not open"));
  row(out, "Timeout", text_of(part(wd, "timeout_s")) + " s");
  const json& age = part(wd, "last_pet_age_ms");
  row(out, "Last pet", age.is_number() ? text_of(age) + " ms ago" : std::string("never"));
  row(out, "Last start", text_of(part(history, "last_start_reason")));
  row(out, "Boot count", text_of(part(history, "boot_count")));
  row(out, "Lockout",
      part(history, "lockout") == true ? "yes: " + text_of(part(history, "lockout_reason"))
                                       : std::string("no"));
  out += "</table></section>";
}

void events_part(std::string& out, const Snapshot& snapshot, std::size_t budget) {
  out += "<section><h2>Recent events (UTC)</h2><table id=\"events\">";
  std::size_t shown = 0;
  for (auto it = snapshot.events.rbegin(); it != snapshot.events.rend(); ++it) {
    if (out.size() > budget) {
      out += "<tr><td colspan=\"2\" class=\"muted\">more in /api/v1/events</td></tr>";
      break;
    }
    const std::string_view message = std::string_view(it->event.message).substr(0, kEventTextBytes);
    out += "<tr><td class=\"t\">";
    out += time_text(it->realtime_us);
    out += "<br>";
    append_html(out, severity_name(it->event.severity));
    out += "</td><td>";
    append_html(out, message);
    out += "</td></tr>";
    ++shown;
  }
  if (shown == 0) out += "<tr><td class=\"muted\">none yet</td></tr>";
  out += "</table></section>";
}

void action_form(std::string& out, const char* action, const char* label, const std::string& csrf,
                 const char* button_class = nullptr, const char* extra = "") {
  out += "<form method=\"post\" action=\"/api/v1/";
  out += action;
  out += "\"><input type=\"hidden\" name=\"csrf\" value=\"";
  append_html(out, csrf);
  out += "\">";
  out += extra;
  out +=
      button_class != nullptr ? std::string("<button class=\"") + button_class + "\"" : "<button";
  out += " id=\"btn-";
  out += action;
  out += "\">";
  out += label;
  out += "</button></form>";
}

void actions_part(std::string& out, const PageView& view) {
  out += "<section class=\"actions\"><h2>Actions</h2>";
  if (view.signed_in || view.estop_without_login) {
    action_form(out, "estop", "E-STOP", view.csrf, "stop");
  }
  if (view.signed_in) {
    action_form(out, "rearm", "Re-arm motors", view.csrf);
    action_form(out, "rearm", "Re-arm and clear lockout", view.csrf, nullptr,
                "<input type=\"hidden\" name=\"clear_lockout\" value=\"yes\">");
    action_form(out, "restart-app", "Restart app", view.csrf);
    action_form(out, "restart-ssh", "Restart SSH", view.csrf);
    action_form(out, "reboot", "Reboot…", view.csrf);
    out += "<p class=\"muted\">Signed in: ";
    append_html(out, view.who);
    out +=
        "</p><form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" "
        "value=\"";
    append_html(out, view.csrf);
    out += "\"><button id=\"btn-logout\">Log out</button></form>";
  } else if (!view.password_set) {
    out +=
        "<p id=\"no-password\">No password is set, so only the e-stop is available. On the "
        "robot, run <code>sudo lifeline passwd</code> to set one.</p>";
  } else {
    out +=
        "<form method=\"post\" action=\"/login\"><input type=\"hidden\" name=\"csrf\" "
        "value=\"";
    append_html(out, view.csrf);
    out +=
        "\"><label>Password <input type=\"password\" name=\"password\" id=\"password\" "
        "autocomplete=\"current-password\" required></label> <button id=\"btn-login\">Log "
        "in</button></form>";
  }
  out += "</section>";
}

}  // namespace

std::string new_nonce() {
  return random_hex(16);
}

std::string render_page(const Snapshot& snapshot, const PageView& view) {
  const json& status = snapshot.status;
  const std::string state = status.is_object() ? text_of(part(status, "state")) : "starting";
  std::string out;
  out.reserve(24 * 1024);
  out +=
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width,initial-scale=1\"><title>lifeline: ";
  append_html(out, state);
  out += "</title><style nonce=\"" + view.nonce + "\">";
  out += kStyle;
  out += "</style></head><body><div id=\"live\"><header class=\"";
  out += state == "healthy" ? "" : (state == "degraded" ? "degraded" : "bad");
  out += "\"><h1>";
  append_html(out, text_of(part(status, "board")));
  out += ": <span id=\"state\">";
  append_html(out, state);
  out += "</span></h1></header><main>";
  if (!view.notice.empty()) {
    out += view.notice_ok ? "<p class=\"notice\" id=\"notice\">"
                          : "<p class=\"notice err\" "
                            "id=\"notice\">";
    append_html(out, view.notice);
    out += "</p>";
  }
  overview(out, status);
  motion_part(out, part(status, "motion"));
  memory_part(out, part(status, "memory"));
  watchdog_part(out, status);
  ssh_part(out, part(part(status, "memory"), "ssh"));
  generic_part(out, "Duplicate services", part(status, "exclusivity"));
  out += "</main></div><main>";
  // The live part above is refreshed by the script; the forms below stay as they are.
  actions_part(out, view);
  out += "</main><div id=\"live-events\"><main>";
  events_part(out, snapshot, kMaxPageBytes - 2048);
  out += "</main></div><script nonce=\"" + view.nonce + "\">";
  out += kScript;
  out += "</script></body></html>";
  return out;
}

std::string render_confirm(const std::string& action, const std::string& csrf,
                           const std::string& nonce) {
  std::string out =
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width,initial-scale=1\"><title>Confirm</title><style nonce=\"" +
      nonce + "\">";
  out += kStyle;
  out += "</style></head><body><main><section><h2>Really ";
  append_html(out, action);
  out += "?</h2><p>The robot goes offline until it has booted again.</p>";
  out += "<form method=\"post\" action=\"/api/v1/";
  append_html(out, action);
  out += "\"><input type=\"hidden\" name=\"csrf\" value=\"";
  append_html(out, csrf);
  out +=
      "\"><input type=\"hidden\" name=\"confirm\" value=\"yes\"><button class=\"stop\" "
      "id=\"btn-confirm\">Yes, ";
  append_html(out, action);
  out +=
      " now</button></form><p><a href=\"/\">No, back to the status page</a></p></section>"
      "</main></body></html>";
  return out;
}

}  // namespace lifeline::rescue
