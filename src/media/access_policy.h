#pragma once

#include <string>
#include <vector>

#include "media/av_handles.h"

namespace streamrelay::media {

// How TLS peers (rtmps, https) are checked.
struct TlsSettings {
  bool verifies_peers = true;
  // A CA bundle to verify against instead of the library's default (the system store); the
  // server writes one holding the system store and --tls-ca-file.
  std::string ca_file;
};

// What one libavformat input may open, the top-level URL and every URL it opens in turn (HLS
// segments, keys and variant playlists, all through the context's io_open): only the protocols
// of the source's scheme; files only inside a media root, judged on the real path of the file
// actually opened (so a symlink cannot lead out, and a path swapped after the check is not
// followed); TLS peers verified. A refusal is noted for the source's error message.
class InputAccess {
 public:
  InputAccess(std::vector<std::string> media_roots, TlsSettings tls);

  // Installs the checks on `context` (before avformat_open_input) and adds the options that
  // opening `url` needs.
  void prepare(AVFormatContext& context, const std::string& url, AvOptions& options);
  // Lets the next opens read this one file outside the media roots (a local copy the service
  // made); "" takes that back.
  void allow_file(const std::string& path) { allowed_file_ = path; }

 private:
  static int io_open(AVFormatContext* context, AVIOContext** io, const char* url, int flags,
                     AVDictionary** options);
  int open_checked(AVFormatContext* context, AVIOContext** io, const std::string& url, int flags,
                   AVDictionary** options);

  std::vector<std::string> media_roots_;
  TlsSettings tls_;
  std::string allowed_file_;
  decltype(AVFormatContext::io_open) default_io_open_ = nullptr;
};

// Adds the TLS verification options of `tls` for a libavformat open (rtmps, https).
void add_tls_options(const TlsSettings& tls, AvOptions& options);

// Opens an rtmp:// or rtmps:// URL with libavformat's own RTMP client (no other protocol, the
// TLS options of `tls`); `flags` are AVIO_FLAG_READ or AVIO_FLAG_WRITE. 0 or an AVERROR code.
int open_with_ffmpeg_rtmp(AVIOContext** io, const std::string& url, int flags,
                          const AVIOInterruptCB* interrupt, const TlsSettings& tls);

// Opens an http:// or https:// URL for reading with libavformat's HTTP client (no other protocol,
// redirects included; the TLS options of `tls`). 0 or an AVERROR code.
int open_with_ffmpeg_http(AVIOContext** io, const std::string& url,
                          const AVIOInterruptCB* interrupt, const TlsSettings& tls);

// The canonical path of `path` when it lies inside one of `roots` (compared on real paths, the
// file itself need not exist yet), else the reason it does not.
struct MediaPathCheck {
  bool is_inside = false;
  std::string reason;
};
MediaPathCheck check_media_path(const std::string& path, const std::vector<std::string>& roots);

// The local path of a file URL ("file:///a", "file:/a") or plain absolute path; empty if none.
std::string local_path_of(const std::string& url);

}  // namespace streamrelay::media
