#include <cerrno>
#include <cstring>

#include "lifeline/expected.hpp"

namespace lifeline {

Error errno_error(const std::string& what) {
  const int saved = errno;
  return Error{saved, what + ": " + std::strerror(saved)};  // NOLINT(concurrency-mt-unsafe)
}

}  // namespace lifeline
