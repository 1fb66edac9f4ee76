#include "rescue/password.hpp"

#include <crypt.h>
#include <sys/stat.h>

#include <cerrno>
#include <memory>

#include "rescue/auth.hpp"
#include "util/files.hpp"

namespace lifeline::rescue {

Expected<std::string> hash_password(std::string_view password) {
  if (password.size() < kMinPasswordLength || password.size() > kMaxPasswordLength) {
    return Error{EINVAL, "a password has " + std::to_string(kMinPasswordLength) + " to " +
                             std::to_string(kMaxPasswordLength) + " characters"};
  }
  if (password.find('\0') != std::string_view::npos) return Error{EINVAL, "a NUL in the password"};
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  // Null random bytes: libxcrypt takes them from the kernel itself (getentropy).
  if (crypt_gensalt_rn("$y$", 0, nullptr, 0, salt, sizeof salt) == nullptr) {
    return errno_error("crypt_gensalt_rn(yescrypt)");
  }
  auto data = std::make_unique<crypt_data>();  // ~32 KiB: not for a worker thread's stack
  const std::string text(password);
  const char* hashed = crypt_r(text.c_str(), salt, data.get());
  if (hashed == nullptr || hashed[0] == '*') return errno_error("crypt_r(yescrypt)");
  return std::string(hashed);
}

bool verify_password(std::string_view password, const std::string& stored) {
  if (!stored.starts_with("$y$") || password.size() > kMaxPasswordLength) return false;
  if (password.find('\0') != std::string_view::npos) return false;
  auto data = std::make_unique<crypt_data>();
  const std::string text(password);
  const char* hashed = crypt_r(text.c_str(), stored.c_str(), data.get());
  if (hashed == nullptr || hashed[0] == '*') return false;
  return constant_time_equal(hashed, stored);
}

Expected<std::string> read_password_hash(const std::string& path) {
  auto content = read_small_file(path, 4096);
  if (!content) {
    if (content.error().errno_value == ENOENT) return std::string();
    return content.error();
  }
  std::string hash = *content;
  while (!hash.empty() && (hash.back() == '\n' || hash.back() == '\r' || hash.back() == ' ')) {
    hash.pop_back();
  }
  return hash;
}

Status write_password_hash(const std::string& path, const std::string& hash) {
  const mode_t old_mask = ::umask(077);  // the temp file is born private
  auto written = write_file_durably(path, hash + "\n");
  ::umask(old_mask);
  if (!written) return written;
  if (::chmod(path.c_str(), 0600) != 0) return errno_error("chmod " + path);
  return ok_status();
}

}  // namespace lifeline::rescue
