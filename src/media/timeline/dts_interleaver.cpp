#include "media/timeline/dts_interleaver.h"

namespace streamrelay::media {

void DtsInterleaver::begin(bool has_video, bool has_audio) {
  queues_[0].clear();
  queues_[1].clear();
  is_expected_ = {has_video, has_audio};
}

void DtsInterleaver::push(MediaPacket packet) {
  queues_[slot(packet.track)].push_back(std::move(packet));
}

std::optional<MediaPacket> DtsInterleaver::take_earliest() {
  auto& video = queues_[0];
  auto& audio = queues_[1];
  if (video.empty() && audio.empty()) return std::nullopt;
  bool is_video_first =
      audio.empty() || (!video.empty() && video.front().dts() <= audio.front().dts());
  auto& queue = is_video_first ? video : audio;
  MediaPacket packet = std::move(queue.front());
  queue.pop_front();
  return packet;
}

std::optional<MediaPacket> DtsInterleaver::pop() {
  bool is_every_track_waiting = true;
  int64_t lowest = INT64_MAX;
  int64_t highest = INT64_MIN;
  for (size_t i = 0; i < 2; ++i) {
    if (!is_expected_[i]) continue;
    if (queues_[i].empty()) {
      is_every_track_waiting = false;
      continue;
    }
    lowest = std::min(lowest, queues_[i].front().dts());
    highest = std::max(highest, queues_[i].back().dts());
  }
  bool is_window_full = lowest != INT64_MAX && highest - lowest > kWindowMs;
  if (!is_every_track_waiting && !is_window_full) return std::nullopt;
  return take_earliest();
}

std::optional<MediaPacket> DtsInterleaver::drain() {
  return take_earliest();
}

}  // namespace streamrelay::media
