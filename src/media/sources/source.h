#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "media/io_deadline.h"
#include "media/media_packet.h"

namespace streamrelay::media {

// needs_local_copy: the input must seek and its server cannot (an MP4 from a server without
// range requests); a local copy of it plays.
enum class SourceErrorKind { unavailable, stalled, unsupported, ended, needs_local_copy };

struct SourceError {
  SourceErrorKind kind = SourceErrorKind::unavailable;
  std::string message;
};

// A libavformat-style failure of `operation` as a source error: stalled when the deadline
// passed, ended at EOF, else unavailable with the egress refusal or FFmpeg's text.
SourceError source_error_from(const IoDeadline& deadline, int code, const char* operation);

// Tracks a source has that the destination cannot carry (codec names; empty when none): they
// are skipped, and reported, never dropped silently.
struct SkippedTracks {
  std::string video;
  std::string audio;

  bool is_empty() const { return video.empty() && audio.empty(); }
  // "video hevc, audio opus cannot be relayed (supported: h264, aac, mp3)".
  std::string describe() const;
};

// A source of compressed packets: opened once per segment, read until it ends or fails.
class Source {
 public:
  virtual ~Source() = default;
  // Opens the URL and learns its tracks (bounded by the leg's deadline and stop flag).
  virtual std::optional<SourceError> open(const std::string& url) = 0;
  virtual const SegmentInfo& segment() const = 0;
  // The next packet of a selected track, timestamps in ms; an error (kind `ended` at the end).
  virtual std::optional<SourceError> read(MediaPacket& out) = 0;
  virtual void close() = 0;
  // True when open(url) parks a fiber instead of blocking its thread (our own RTMP client);
  // reads_on_loop() then tells whether the opened input's reads do too.
  virtual bool opens_on_loop(const std::string& url) const {
    (void)url;
    return false;
  }
  virtual bool reads_on_loop() const { return false; }
  // What the opened input has that is skipped.
  virtual SkippedTracks skipped_tracks() const { return {}; }
  // True when read() can let a live stream's packets gather between wake-ups itself (once
  // set_read_batching() asks it to), and calls the wait hook before each wait for the network.
  virtual bool batches_reads() const { return false; }
  // From now on a read that finds nothing waits `period` before looking again.
  virtual void set_read_batching(std::chrono::milliseconds period) { (void)period; }
  virtual void set_wait_hook(std::function<void()> hook) { (void)hook; }
};

}  // namespace streamrelay::media
