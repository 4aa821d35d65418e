// Interposes libc's connect() and the send calls that carry an address (sendto, sendmsg,
// sendmmsg) in the service's executable: libavformat, libsrt and libcurl open their own sockets
// and none offers a hook on the address it reaches, so this is where the egress policy sees the
// address actually used (after any DNS answer, so rebinding tricks do not get around it; and
// for UDP, where nothing connects: SRT's handshake, RTP towards an address an RTSP server named).
// glibc's own resolver uses its internal entry points and is not affected.
#include <dlfcn.h>
#include <sys/socket.h>

#include <cerrno>

#include "net/egress_policy.h"

namespace {

using ConnectFunction = int (*)(int, const sockaddr*, socklen_t);
using SendToFunction = ssize_t (*)(int, const void*, size_t, int, const sockaddr*, socklen_t);
using SendMsgFunction = ssize_t (*)(int, const msghdr*, int);
using SendMmsgFunction = int (*)(int, mmsghdr*, unsigned int, int);

template <typename Function>
Function next_definition(const char* name) {
  return reinterpret_cast<Function>(dlsym(RTLD_NEXT, name));
}

// True (and errno set) when the policy refuses `address`; no address (a connected socket) passes.
bool is_refused(const void* address) {
  using namespace streamrelay::net;
  const auto* target = static_cast<const sockaddr*>(address);
  if (!is_egress_guard_enabled() || is_own_connection() || !target ||
      (target->sa_family != AF_INET && target->sa_family != AF_INET6)) {
    return false;
  }
  auto reason = refusal_of(process_egress_policy(), classify(target));
  if (!reason) return false;
  note_refusal(*reason);
  errno = EACCES;
  return true;
}

}  // namespace

extern "C" int connect(int fd, const sockaddr* address, socklen_t length) {
  static auto real = next_definition<ConnectFunction>("connect");
  if (is_refused(address)) return -1;
  return real(fd, address, length);
}

extern "C" ssize_t sendto(int fd, const void* data, size_t size, int flags, const sockaddr* address,
                          socklen_t length) {
  static auto real = next_definition<SendToFunction>("sendto");
  if (is_refused(address)) return -1;
  return real(fd, data, size, flags, address, length);
}

extern "C" ssize_t sendmsg(int fd, const msghdr* message, int flags) {
  static auto real = next_definition<SendMsgFunction>("sendmsg");
  if (message && is_refused(message->msg_name)) return -1;
  return real(fd, message, flags);
}

extern "C" int sendmmsg(int fd, mmsghdr* messages, unsigned int count, int flags) {
  static auto real = next_definition<SendMmsgFunction>("sendmmsg");
  for (unsigned int i = 0; messages && i < count; ++i) {
    if (is_refused(messages[i].msg_hdr.msg_name)) return -1;
  }
  return real(fd, messages, count, flags);
}
