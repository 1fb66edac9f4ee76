// HTTPS for the rescue page with Debian bookworm's CivetWeb 1.15 and OpenSSL 3.
//
// That CivetWeb is built for the OpenSSL 1.1 API and loads OpenSSL at run time with
// dlopen("libcrypto.so") and dlopen("libssl.so"). Two things break with OpenSSL 3:
// - libssl.so.3 has no symbol SSL_get_peer_certificate (OpenSSL 3 renamed it
//   SSL_get1_peer_certificate). CivetWeb lists it as mandatory, so its first OpenSSL
//   initialisation fails; but it counts the library as initialised anyway, so the next
//   attempt (mg_start's) "succeeds" with that pointer null, and the first HTTPS connection
//   calls it after the handshake: SIGSEGV, the whole process dies
//   (tests/host/tools/civetweb_tls_repro.c shows both halves).
// - the unversioned names exist only with libssl-dev installed, never on a robot.
// The fix: before CivetWeb's first OpenSSL initialisation, load two tiny libraries
// (src/rescue/tls_shim/) whose sonames are exactly "libcrypto.so" and "libssl.so". The
// dynamic linker then hands CivetWeb those, every lookup falls through to the real
// libcrypto.so.3 / libssl.so.3, and the ssl one adds SSL_get_peer_certificate.
#pragma once

#include <cstddef>

#include "lifeline/expected.hpp"

namespace lifeline::rescue {

// Loads the shims and initialises CivetWeb's TLS, once per process; later calls return the
// first call's result (CivetWeb must never be asked twice after a failure: see above).
Status enable_civetweb_tls();

// The shim libraries, embedded at build time (generated/tls_shim_bytes.cpp).
extern const unsigned char kShimLibssl[];
extern const std::size_t kShimLibssl_size;
extern const unsigned char kShimLibcrypto[];
extern const std::size_t kShimLibcrypto_size;

}  // namespace lifeline::rescue
