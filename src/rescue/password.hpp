// The rescue page's password: stored only as a salted yescrypt hash (libxcrypt), written by
// `lifeline passwd`, read at every login so a new password needs no restart.
#pragma once

#include <string>
#include <string_view>

#include "lifeline/expected.hpp"

namespace lifeline::rescue {

inline constexpr std::size_t kMinPasswordLength = 8;
inline constexpr std::size_t kMaxPasswordLength = 256;

// A fresh "$y$..." hash of `password` (random salt from the kernel, libxcrypt's default cost).
Expected<std::string> hash_password(std::string_view password);

// True when `password` hashes to `stored`; the result is compared in constant time. A
// stored value that is not a yescrypt hash never matches.
bool verify_password(std::string_view password, const std::string& stored);

// The hash in `path`; "" when the file does not exist (no password set).
Expected<std::string> read_password_hash(const std::string& path);

// Replaces `path` with `hash` durably, readable by its owner only.
Status write_password_hash(const std::string& path, const std::string& hash);

}  // namespace lifeline::rescue
