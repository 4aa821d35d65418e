#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "media/relay/relay.h"
#include "observe/metrics.h"

namespace streamrelay::media {

// The counters and health of one relay, written by its legs and read by snapshots.
class RelayStatus {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RelayStatus(std::chrono::milliseconds stall_threshold);

  void add_bytes_in(int64_t bytes) {
    bytes_in_ += bytes;
    observe::metrics().bytes_in.add(bytes);
  }
  void on_packet_written(int64_t bytes);
  // Slate bytes count as output but not as the relay flowing.
  void on_filler_written(int64_t bytes) {
    bytes_out_ += bytes;
    observe::metrics().bytes_out.add(bytes);
  }
  void on_failure(const std::string& error);
  // The source has a video track the destination cannot carry (`reason`; "" when it has none):
  // the relay is failing even while its other track flows.
  void set_video_missing(const std::string& reason);
  void on_reconnect() {
    ++reconnects_;
    observe::metrics().reconnects.add(1);
  }
  void set_source(const std::string& role, const std::string& masked_url);
  void set_source_url(const std::string& masked_url);
  void set_source_role(const std::string& role);
  void set_connected(bool is_connected) { is_connected_ = is_connected; }
  void set_finished() { is_finished_ = true; }
  void set_playhead(const Playhead& playhead);
  Playhead playhead();

  RelaySnapshot snapshot();

 private:
  std::chrono::milliseconds stall_threshold_;
  std::atomic<int64_t> bytes_in_{0};
  std::atomic<int64_t> bytes_out_{0};
  std::atomic<int64_t> reconnects_{0};
  std::atomic<int64_t> failures_{0};
  std::atomic<int64_t> last_write_ns_{0};
  std::atomic<int64_t> started_at_{0};
  std::atomic<bool> is_connected_{false};
  std::atomic<bool> is_finished_{false};

  std::mutex mutex_;  // guards the strings and the bitrate sample
  std::string last_error_;
  std::string video_missing_;
  std::string source_role_ = "primary";
  std::string source_url_;
  Playhead playhead_;
  Clock::time_point rate_sample_time_ = Clock::now();
  int64_t rate_sample_bytes_ = 0;
  int64_t bitrate_kbps_ = 0;
};

}  // namespace streamrelay::media
