// Interposes libc's connect() in the service's executable: libavformat and libcurl open their
// own sockets, and neither offers a hook on the address it connects to, so this is where the
// egress policy can see the address actually used (after any DNS answer, so rebinding tricks do
// not get around it). glibc's own resolver uses its internal connect and is not affected.
#include <dlfcn.h>
#include <sys/socket.h>

#include <cerrno>

#include "net/egress_policy.h"

namespace {

using ConnectFunction = int (*)(int, const sockaddr*, socklen_t);

ConnectFunction real_connect() {
  static ConnectFunction function = reinterpret_cast<ConnectFunction>(dlsym(RTLD_NEXT, "connect"));
  return function;
}

}  // namespace

extern "C" int connect(int fd, const sockaddr* address, socklen_t length) {
  using namespace streamrelay::net;
  if (is_egress_guard_enabled() && address &&
      (address->sa_family == AF_INET || address->sa_family == AF_INET6)) {
    if (auto reason = refusal_of(process_egress_policy(), classify(address))) {
      note_refusal(*reason);
      errno = EACCES;
      return -1;
    }
  }
  return real_connect()(fd, address, length);
}
