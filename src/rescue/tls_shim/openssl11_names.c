/* Loaded into lifeline under the name "libssl.so" when the rescue page serves HTTPS.
 *
 * Debian bookworm's CivetWeb 1.15 is built for the OpenSSL 1.1 API and looks up
 * "SSL_get_peer_certificate" in the libssl it dlopen()s. OpenSSL 3 renamed that function
 * SSL_get1_peer_certificate (the old name is only a macro in its headers), so CivetWeb
 * finds a null pointer and calls it after every TLS handshake: the process dies. This
 * library gives CivetWeb the old name; every other lookup falls through to the real
 * libssl.so.3, which this library depends on. Same contract: both return the peer's
 * certificate with a reference the caller frees with X509_free. */

typedef struct ssl_st SSL;
typedef struct x509_st X509;

X509* SSL_get1_peer_certificate(const SSL* ssl);

X509* SSL_get_peer_certificate(const SSL* ssl);
X509* SSL_get_peer_certificate(const SSL* ssl) {
  return SSL_get1_peer_certificate(ssl);
}
