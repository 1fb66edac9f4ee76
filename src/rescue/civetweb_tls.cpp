#include "rescue/civetweb_tls.hpp"

#include <civetweb.h>
#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>

namespace lifeline::rescue {

namespace {

// Writes `bytes` into an anonymous memory file and dlopen()s it: the library needs no
// file on disk, and its soname (not the file name) is what CivetWeb's dlopen matches.
Status load_from_memory(const char* name, const unsigned char* bytes, std::size_t size) {
  const int fd = memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) return Error{errno, std::string("memfd_create: ") + std::strerror(errno)};
  std::size_t written = 0;
  while (written < size) {
    const ssize_t n = write(fd, bytes + written, size - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int saved = errno;
      close(fd);
      return Error{saved, std::string("writing the ") + name + " shim failed"};
    }
    written += static_cast<std::size_t>(n);
  }
  // Neither the library nor the file is ever closed. CivetWeb keeps using what it resolves
  // through the library, and the dynamic linker knows it by this path: with the number
  // free again, the next memfd would get the same path and dlopen would return this one.
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    close(fd);
    const char* why = dlerror();
    return Error{ENOENT, std::string("cannot load OpenSSL 3 for HTTPS (package libssl3): ") +
                             (why != nullptr ? why : name)};
  }
  return ok_status();
}

Status load_and_initialise() {
  // libcrypto first: CivetWeb opens it first, and libssl.so.3 depends on it.
  if (auto loaded = load_from_memory("libcrypto.so", kShimLibcrypto, kShimLibcrypto_size);
      !loaded) {
    return loaded;
  }
  if (auto loaded = load_from_memory("libssl.so", kShimLibssl, kShimLibssl_size); !loaded) {
    return loaded;
  }
  const unsigned features = mg_init_library(MG_FEATURES_TLS);
  if ((features & MG_FEATURES_TLS) == 0) {
    return Error{ENOTSUP,
                 "CivetWeb could not initialise OpenSSL (mg_init_library without "
                 "the TLS feature)"};
  }
  return ok_status();
}

}  // namespace

Status enable_civetweb_tls() {
  static std::once_flag once;
  static Status result = ok_status();
  std::call_once(once, [] { result = load_and_initialise(); });
  return result;
}

}  // namespace lifeline::rescue
