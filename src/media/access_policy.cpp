#include "media/access_policy.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <filesystem>
#include <string_view>

#include "net/egress_policy.h"

namespace streamrelay::media {
namespace {

// The demuxers a source may be read with: the formats the service relays. Meta-demuxers that
// open further files with contexts of their own (concat, image sequences, SDP's RTP sessions)
// are left out, since their opens would not pass through the checks here.
constexpr const char* kSourceFormats = "flv,live_flv,mov,mpegts,hls,matroska,rtsp,aac,mp3";

// The protocols each kind of source may use, nested opens included: a file's playlist stays
// local, a remote playlist stays remote.
std::string protocols_for(std::string_view url) {
  auto starts = [&](std::string_view prefix) { return url.substr(0, prefix.size()) == prefix; };
  if (starts("http://") || starts("https://")) return "http,https,tls,tcp,crypto,data";
  if (starts("rtmp://") || starts("rtmps://")) return "rtmp,rtmps,tcp,tls";
  if (starts("srt://")) return "srt";
  if (starts("rtsp://")) return "rtsp,rtp,udp,tcp,http";
  return "file,crypto,data";
}

// "crypto+file:///a/b.ts" -> {"crypto+", "file:///a/b.ts"}: an encrypted HLS segment names
// the URL it decrypts, which is checked like any other.
std::pair<std::string, std::string> split_crypto(const std::string& url) {
  for (std::string_view prefix : {"crypto+", "crypto:"}) {
    if (url.rfind(prefix, 0) == 0) {
      return {std::string(prefix), url.substr(prefix.size())};
    }
  }
  return {"", url};
}

std::string real_path_of(int fd) {
  std::error_code error;
  auto path = std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd), error);
  return error ? "" : path.string();
}

bool is_within(const std::filesystem::path& path, const std::filesystem::path& root) {
  auto relative = path.lexically_relative(root);
  return !relative.empty() && *relative.begin() != "..";
}

}  // namespace

std::string local_path_of(const std::string& url) {
  std::string path = url;
  if (path.rfind("file:", 0) == 0) path.erase(0, 5);
  if (path.rfind("//", 0) == 0 && path.rfind("///", 0) != 0) return "";  // file://host/...
  if (path.empty() || path.front() != '/') return "";
  return path;
}

MediaPathCheck check_media_path(const std::string& path, const std::vector<std::string>& roots) {
  std::error_code error;
  auto real = std::filesystem::weakly_canonical(path, error);
  if (error) return {false, "cannot resolve " + path + ": " + error.message()};
  for (const std::string& root : roots) {
    auto real_root = std::filesystem::canonical(root, error);
    if (!error && is_within(real, real_root)) return {true, ""};
  }
  return {false, "file is outside the configured media roots"};
}

void add_tls_options(const TlsSettings& tls, AvOptions& options) {
  options.set("tls_verify", tls.verifies_peers ? "1" : "0");
  if (!tls.ca_file.empty()) options.set("ca_file", tls.ca_file);
}

namespace {

int open_with_protocols(AVIOContext** io, const std::string& url, int flags,
                        const AVIOInterruptCB* interrupt, const TlsSettings& tls,
                        const char* protocols) {
  AvOptions options;
  options.set("protocol_whitelist", protocols);
  add_tls_options(tls, options);
  return avio_open2(io, url.c_str(), flags, interrupt, options.ptr());
}

}  // namespace

int open_with_ffmpeg_rtmp(AVIOContext** io, const std::string& url, int flags,
                          const AVIOInterruptCB* interrupt, const TlsSettings& tls) {
  return open_with_protocols(io, url, flags, interrupt, tls, "rtmp,rtmps,tcp,tls");
}

int open_with_ffmpeg_http(AVIOContext** io, const std::string& url,
                          const AVIOInterruptCB* interrupt, const TlsSettings& tls) {
  return open_with_protocols(io, url, AVIO_FLAG_READ, interrupt, tls, "http,https,tcp,tls");
}

InputAccess::InputAccess(std::vector<std::string> media_roots, TlsSettings tls)
    : media_roots_(std::move(media_roots)), tls_(std::move(tls)) {}

void InputAccess::prepare(AVFormatContext& context, const std::string& url, AvOptions& options) {
  if (!default_io_open_) default_io_open_ = context.io_open;
  context.io_open = &InputAccess::io_open;
  context.opaque = this;
  options.set("protocol_whitelist", protocols_for(url));
  options.set("format_whitelist", kSourceFormats);
  add_tls_options(tls_, options);
}

int InputAccess::io_open(AVFormatContext* context, AVIOContext** io, const char* url, int flags,
                         AVDictionary** options) {
  auto* self = static_cast<InputAccess*>(context->opaque);
  return self->open_checked(context, io, url ? url : "", flags, options);
}

int InputAccess::open_checked(AVFormatContext* context, AVIOContext** io, const std::string& url,
                              int flags, AVDictionary** options) {
  // Nested opens (HLS segments and keys) get the TLS options the top-level open was given.
  if (options) {
    av_dict_set(options, "tls_verify", tls_.verifies_peers ? "1" : "0", 0);
    if (!tls_.ca_file.empty()) av_dict_set(options, "ca_file", tls_.ca_file.c_str(), 0);
  }
  auto [crypto, inner] = split_crypto(url);
  std::string path = local_path_of(inner);
  if (path.empty()) {
    if (inner.find("://") == std::string::npos && inner.rfind("data:", 0) != 0) {
      net::note_refusal("only absolute file paths may be opened: " + inner);
      return AVERROR(EACCES);
    }
    return default_io_open_(context, io, url.c_str(), flags, options);
  }
  if ((flags & AVIO_FLAG_WRITE) != 0) return AVERROR(EACCES);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return AVERROR(errno);
  // What was opened is judged, not the name: the real path of the open file itself.
  std::string real_path = real_path_of(fd);
  MediaPathCheck check = !allowed_file_.empty() && real_path == allowed_file_
                             ? MediaPathCheck{true, ""}
                             : check_media_path(real_path, media_roots_);
  int rc = AVERROR(EACCES);
  if (!check.is_inside) {
    net::note_refusal(check.reason);
  } else {
    std::string opened = crypto + "file:/proc/self/fd/" + std::to_string(fd);
    rc = default_io_open_(context, io, opened.c_str(), flags, options);
  }
  ::close(fd);
  return rc;
}

}  // namespace streamrelay::media
