#include "media/packet_queue.h"

namespace streamrelay::media {

void PacketQueue::push(QueueItem item) {
  {
    std::lock_guard lock(mutex_);
    if (auto* packet = std::get_if<MediaPacket>(&item)) {
      if (bytes_ + packet->size() > limits_.max_bytes || items_.size() + 1 > limits_.max_items) {
        drop_packets_locked();
      }
      bytes_ += packet->size();
    }
    items_.push_back(std::move(item));
  }
  ready_.notify_one();
}

std::optional<QueueItem> PacketQueue::pop(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!ready_.wait_for(lock, timeout, [this] { return !items_.empty(); })) return std::nullopt;
  QueueItem item = std::move(items_.front());
  items_.pop_front();
  if (auto* packet = std::get_if<MediaPacket>(&item)) bytes_ -= packet->size();
  return item;
}

void PacketQueue::drop_packets() {
  std::lock_guard lock(mutex_);
  drop_packets_locked();
}

void PacketQueue::drop_packets_locked() {
  std::shared_ptr<const SegmentInfo> newest_segment;
  for (QueueItem& item : items_) {
    if (auto* segment = std::get_if<std::shared_ptr<const SegmentInfo>>(&item)) {
      newest_segment = *segment;
    } else if (std::holds_alternative<MediaPacket>(item)) {
      ++dropped_;
    }
  }
  items_.clear();
  bytes_ = 0;
  if (newest_segment) items_.emplace_back(std::move(newest_segment));
  items_.emplace_back(QueueGap{});
}

void PacketQueue::wake() {
  ready_.notify_all();
}

size_t PacketQueue::dropped_packets() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

size_t PacketQueue::size() const {
  std::lock_guard lock(mutex_);
  return items_.size();
}

}  // namespace streamrelay::media
