/* A library with no code of its own. Built under two names:
 * - "libcrypto.so" (depends on libcrypto.so.3): CivetWeb dlopen()s the unversioned name,
 *   which only the -dev package provides on disk; once this library is loaded under that
 *   name, the dynamic linker reuses it and CivetWeb's lookups reach libcrypto.so.3.
 * - "libssl.so.3" / "libcrypto.so.3" link-time stand-ins, so the names above can record
 *   their dependency on OpenSSL 3 without the target's OpenSSL being installed at build
 *   time (cross builds). */
static const int lifeline_tls_shim_unused = 0;
const int* lifeline_tls_shim_marker(void);
const int* lifeline_tls_shim_marker(void) {
  return &lifeline_tls_shim_unused;
}
