#pragma once

#include <netdb.h>

#include <functional>
#include <memory>
#include <string>

#include "media/io_deadline.h"

namespace streamrelay::media {

struct FreeAddresses {
  void operator()(addrinfo* list) const { freeaddrinfo(list); }
};
using AddressList = std::unique_ptr<addrinfo, FreeAddresses>;

// A blocking lookup with getaddrinfo's contract (what it finds is freed with freeaddrinfo).
using HostLookup =
    std::function<int(const char* host, const char* port, const addrinfo* hints, addrinfo** found)>;

struct HostAddresses {
  int status = 0;               // 0, or the lookup's EAI_* code
  bool is_interrupted = false;  // the deadline passed or a stop came before the answer
  AddressList list;             // TCP addresses, when status is 0
};

// Resolves `host` for a TCP connection to `port` within `deadline`. getaddrinfo cannot be
// interrupted, so it runs on a short-lived thread while this waits in slices, looking at the
// deadline between them; a lookup given up on finishes on its own and frees what it found.
HostAddresses resolve_host(const std::string& host, const std::string& port,
                           const IoDeadline& deadline, const HostLookup& lookup = ::getaddrinfo);

}  // namespace streamrelay::media
