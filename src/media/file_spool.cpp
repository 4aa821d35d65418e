#include "media/file_spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "media/av_logging.h"

namespace streamrelay::media {
namespace {

// Names of the copies: recognisable, and never a name a user chose.
constexpr const char* kCopyPrefix = "spool-";

std::string limit_text(int64_t bytes) {
  return std::to_string(bytes / (1024 * 1024)) + " MB";
}

}  // namespace

FileSpool::FileSpool(std::string folder, int64_t max_bytes, TlsSettings tls)
    : folder_(std::move(folder)), max_bytes_(max_bytes), tls_(std::move(tls)) {}

FileSpool::Copy FileSpool::fetch(const std::string& url, IoDeadline& deadline,
                                 std::chrono::milliseconds stall) {
  auto failed = [](SourceErrorKind kind, std::string message) {
    return Copy{"", SourceError{kind, std::move(message)}};
  };
  auto failed_with = [](const SourceError& source_error) { return Copy{"", source_error}; };
  std::error_code error;
  std::filesystem::create_directories(folder_, error);
  std::string path = folder_ + "/" + kCopyPrefix + "XXXXXX";
  int fd = mkstemp(path.data());
  if (fd < 0) return failed(SourceErrorKind::unavailable, "spool: cannot create a local copy");
  forget_ffmpeg_errors();
  AvOptions options;
  options.set("protocol_whitelist", "http,https,tls,tcp");
  add_tls_options(tls_, options);
  AVIOInterruptCB interrupt = deadline.callback();
  AVIOContext* io = nullptr;
  deadline.arm(stall);
  int rc = avio_open2(&io, url.c_str(), AVIO_FLAG_READ, &interrupt, options.ptr());
  Copy copy{path, {}};
  if (rc < 0) {
    copy = failed_with(source_error_from(deadline, rc, "spool"));
  } else if (int64_t size = avio_size(io); size > max_bytes_) {
    copy = failed(SourceErrorKind::unavailable,
                  "file of " + limit_text(size) + " needs a local copy (its server does not " +
                      "allow range requests) and the spool limit is " + limit_text(max_bytes_));
  } else {
    std::vector<uint8_t> buffer(256 * 1024);
    int64_t total = 0;
    for (;;) {
      deadline.arm(stall);
      int got = avio_read_partial(io, buffer.data(), static_cast<int>(buffer.size()));
      if (got == AVERROR_EOF || got == 0) break;
      if (got < 0) {
        copy = failed_with(source_error_from(deadline, got, "spool"));
        break;
      }
      total += got;
      if (total > max_bytes_) {
        copy = failed(SourceErrorKind::unavailable,
                      "file needs a local copy (its server does not allow range requests) and is "
                      "larger than the spool limit of " +
                          limit_text(max_bytes_));
        break;
      }
      if (::write(fd, buffer.data(), static_cast<size_t>(got)) != got) {
        copy = failed(SourceErrorKind::unavailable, "spool: cannot write the local copy");
        break;
      }
    }
  }
  if (io) avio_closep(&io);
  ::close(fd);
  if (copy.path.empty()) remove(path);
  return copy;
}

void FileSpool::remove(const std::string& path) {
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
}

void FileSpool::remove_leftovers() const {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(folder_, error)) {
    if (entry.path().filename().string().rfind(kCopyPrefix, 0) == 0) remove(entry.path());
  }
}

}  // namespace streamrelay::media
