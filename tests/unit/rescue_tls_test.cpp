// The OpenSSL 3 shims for CivetWeb's HTTPS (rescue/civetweb_tls.hpp): embedded as real
// shared libraries with the sonames CivetWeb dlopen()s, and once loaded they answer the
// lookup that libssl.so.3 alone cannot.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <string_view>

#include "rescue/civetweb_tls.hpp"

namespace lifeline::rescue {
namespace {

std::string_view bytes(const unsigned char* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

TEST(RescueTls, EmbeddedShimsAreSharedLibrariesNamedAsCivetWebAsks) {
  const std::string_view ssl = bytes(kShimLibssl, kShimLibssl_size);
  const std::string_view crypto = bytes(kShimLibcrypto, kShimLibcrypto_size);
  ASSERT_GT(ssl.size(), 64U);
  ASSERT_GT(crypto.size(), 64U);
  EXPECT_EQ(ssl.substr(0, 4),
            "\x7f"
            "ELF");
  EXPECT_EQ(crypto.substr(0, 4),
            "\x7f"
            "ELF");
  // Sonames and dependencies appear in the dynamic string table, NUL-terminated.
  EXPECT_NE(ssl.find(std::string_view("\0libssl.so\0", 11)), std::string_view::npos);
  EXPECT_NE(ssl.find(std::string_view("\0libssl.so.3\0", 13)), std::string_view::npos);
  EXPECT_NE(ssl.find("SSL_get1_peer_certificate"), std::string_view::npos);
  EXPECT_NE(crypto.find(std::string_view("\0libcrypto.so\0", 14)), std::string_view::npos);
  EXPECT_NE(crypto.find(std::string_view("\0libcrypto.so.3\0", 16)), std::string_view::npos);
  // Small: they are locked in memory with the rest of lifeline.
  EXPECT_LT(ssl.size() + crypto.size(), 64U * 1024U);
}

TEST(RescueTls, AfterEnablingCivetWebsLibsslNameResolvesTheOldFunction) {
  void* real = dlopen("libssl.so.3", RTLD_NOW | RTLD_LOCAL);
  if (real == nullptr) GTEST_SKIP() << "no libssl.so.3 here (package libssl3)";
  // The defect: OpenSSL 3 does not export the OpenSSL 1.1 name CivetWeb requires.
  EXPECT_EQ(dlsym(real, "SSL_get_peer_certificate"), nullptr);
  const Status enabled = enable_civetweb_tls();
  ASSERT_TRUE(enabled.ok()) << enabled.error().message;
  EXPECT_TRUE(enable_civetweb_tls().ok());  // once per process, same answer
  // What CivetWeb's dlopen("libssl.so") now gets: the shim, already loaded under that name.
  void* as_civetweb_sees_it = dlopen("libssl.so", RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(as_civetweb_sees_it, nullptr) << dlerror();
  EXPECT_NE(dlsym(as_civetweb_sees_it, "SSL_get_peer_certificate"), nullptr);
  // Every other lookup falls through to the real library.
  EXPECT_EQ(dlsym(as_civetweb_sees_it, "SSL_CTX_new"), dlsym(real, "SSL_CTX_new"));
  void* crypto = dlopen("libcrypto.so", RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(crypto, nullptr) << dlerror();
  EXPECT_NE(dlsym(crypto, "ERR_get_error"), nullptr);
}

}  // namespace
}  // namespace lifeline::rescue
