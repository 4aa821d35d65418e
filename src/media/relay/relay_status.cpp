#include "media/relay/relay_status.h"

namespace streamrelay::media {
namespace {

// The bitrate is averaged over at least this long.
constexpr std::chrono::milliseconds kRateWindow{1000};

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

RelayStatus::RelayStatus(std::chrono::milliseconds stall_threshold)
    : stall_threshold_(stall_threshold) {}

void RelayStatus::on_packet_written(int64_t bytes) {
  bytes_out_ += bytes;
  observe::metrics().bytes_out.add(bytes);
  last_write_ns_ = Clock::now().time_since_epoch().count();
  if (started_at_ == 0) started_at_ = unix_now();
}

void RelayStatus::on_failure(const std::string& error) {
  ++failures_;
  std::lock_guard lock(mutex_);
  last_error_ = error;
}

void RelayStatus::set_video_missing(const std::string& reason) {
  std::lock_guard lock(mutex_);
  video_missing_ = reason;
  if (!reason.empty()) last_error_ = reason;
}

void RelayStatus::set_source(const std::string& role, const std::string& masked_url) {
  std::lock_guard lock(mutex_);
  source_role_ = role;
  source_url_ = masked_url;
}

void RelayStatus::set_playhead(const Playhead& playhead) {
  std::lock_guard lock(mutex_);
  playhead_ = playhead;
}

Playhead RelayStatus::playhead() {
  std::lock_guard lock(mutex_);
  return playhead_;
}

void RelayStatus::set_source_url(const std::string& masked_url) {
  std::lock_guard lock(mutex_);
  source_url_ = masked_url;
}

void RelayStatus::set_source_role(const std::string& role) {
  std::lock_guard lock(mutex_);
  source_role_ = role;
}

RelaySnapshot RelayStatus::snapshot() {
  RelaySnapshot snap;
  auto now = Clock::now();
  snap.bytes_in = bytes_in_;
  snap.bytes_out = bytes_out_;
  snap.reconnects = reconnects_;
  snap.started_at = started_at_;
  Clock::time_point last_write{Clock::duration(last_write_ns_.load())};
  bool is_flowing = is_connected_ && last_write_ns_ != 0 && now - last_write < stall_threshold_;
  bool is_video_missing;
  {
    std::lock_guard lock(mutex_);
    is_video_missing = !video_missing_.empty();
  }
  if (is_finished_) {
    snap.phase = RelayPhase::finished;
  } else if (is_flowing && !is_video_missing) {
    snap.phase = RelayPhase::flowing;
  } else if (failures_ > 0 || last_write_ns_ != 0) {
    snap.phase = RelayPhase::failing;
  } else {
    snap.phase = RelayPhase::starting;
  }
  std::lock_guard lock(mutex_);
  snap.source_role = source_role_;
  snap.source_url = source_url_;
  snap.last_error = last_error_;
  snap.playhead = playhead_;
  auto elapsed = now - rate_sample_time_;
  if (elapsed >= kRateWindow) {
    int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
    bitrate_kbps_ = (snap.bytes_out - rate_sample_bytes_) * 8 / ms;
    rate_sample_bytes_ = snap.bytes_out;
    rate_sample_time_ = now;
  }
  snap.bitrate_kbps = is_flowing ? bitrate_kbps_ : 0;
  return snap;
}

}  // namespace streamrelay::media
