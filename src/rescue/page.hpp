// The rescue page: one self-contained HTML document (inline CSS and a small script that
// only refreshes the live part), readable on a phone and without JavaScript. Every value
// from the snapshot passes through the HTML escaper.
#pragma once

#include <string>

#include "rescue/snapshot.hpp"

namespace lifeline::rescue {

inline constexpr std::size_t kMaxPageBytes = 64 * 1024;

struct PageView {
  bool signed_in = false;
  std::string who;  // "session 1a2b3c4d from 10.0.0.5" when signed in
  bool password_set = false;
  bool estop_without_login = true;
  bool actions_need_login = true;
  std::string csrf;    // the token every form carries
  std::string nonce;   // the CSP nonce of the inline style and script
  std::string notice;  // the result of the action just taken, shown on top
  bool notice_ok = true;
};

std::string render_page(const Snapshot& snapshot, const PageView& view);

// The reboot confirmation step: a page with one form that repeats the POST with confirm=yes.
std::string render_confirm(const std::string& action, const std::string& csrf,
                           const std::string& nonce);

// A fresh CSP nonce (random, base64-free hex).
std::string new_nonce();

}  // namespace lifeline::rescue
