#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "media/access_policy.h"
#include "media/io_deadline.h"
#include "media/sources/source.h"

namespace streamrelay::media {

// Local copies of remote files for containers that must seek (an MP4 with its index at the end,
// or its tracks far apart) when the file's server cannot (no range requests): fetched once into
// a folder of the service's own, bounded in size, removed once played.
class FileSpool {
 public:
  FileSpool(std::string folder, int64_t max_bytes, TlsSettings tls);

  struct Copy {
    std::string path;  // empty when the fetch failed; `error` says why
    SourceError error;
  };
  // Downloads `url` through libavformat (the egress and TLS rules of every source apply), while
  // bytes keep arriving within `stall` of each other; a stop request interrupts it.
  Copy fetch(const std::string& url, IoDeadline& deadline, std::chrono::milliseconds stall);
  static void remove(const std::string& path);
  // Copies left behind by a process that did not end cleanly.
  void remove_leftovers() const;

  int64_t max_bytes() const { return max_bytes_; }

 private:
  std::string folder_;
  int64_t max_bytes_;
  TlsSettings tls_;
};

}  // namespace streamrelay::media
