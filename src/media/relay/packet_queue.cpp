#include "media/relay/packet_queue.h"

namespace streamrelay::media {

void PacketQueue::push(QueueItem item, bool wakes_consumer) {
  {
    std::lock_guard lock(mutex_);
    if (auto* packet = std::get_if<MediaPacket>(&item)) {
      if (bytes_ + packet->size() > limits_.max_bytes || items_.size() + 1 > limits_.max_items) {
        drop_packets_locked();
      }
      auto size = static_cast<int64_t>(packet->size());
      if (!budget_.try_reserve(size)) {
        // The node's budget is spent: this relay's backlog goes, as when its own queue is full.
        drop_packets_locked();
        if (!budget_.try_reserve(size)) {
          ++dropped_;
          return;
        }
      }
      bytes_ += packet->size();
    }
    items_.push_back(std::move(item));
  }
  if (wakes_consumer) ready_.notify_all();
}

bool PacketQueue::push_or_wait(QueueItem& item, const std::function<bool()>& should_abort) {
  size_t size = 0;
  if (auto* packet = std::get_if<MediaPacket>(&item)) size = packet->size();
  {
    std::unique_lock lock(mutex_);
    auto has_room = [&] {
      return items_.empty() ||
             (bytes_ + size <= limits_.max_bytes && items_.size() + 1 <= limits_.max_items);
    };
    // A file source waits for room in its queue and in the node's budget alike.
    while (!has_room() || !budget_.try_reserve(static_cast<int64_t>(size))) {
      if (should_abort()) return false;
      room_.wait_for(lock, std::chrono::milliseconds(20), has_room);
    }
    if (should_abort()) {
      budget_.release(static_cast<int64_t>(size));
      return false;
    }
    bytes_ += size;
    items_.push_back(std::move(item));
  }
  ready_.notify_all();
  return true;
}

std::optional<QueueItem> PacketQueue::pop(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!ready_.wait_for(lock, timeout, [this] { return !items_.empty(); })) return std::nullopt;
  QueueItem item = std::move(items_.front());
  items_.pop_front();
  if (auto* packet = std::get_if<MediaPacket>(&item)) {
    bytes_ -= packet->size();
    budget_.release(static_cast<int64_t>(packet->size()));
  }
  lock.unlock();
  room_.notify_all();
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
  budget_.release(static_cast<int64_t>(bytes_));
  bytes_ = 0;
  if (newest_segment) items_.emplace_back(std::move(newest_segment));
  items_.emplace_back(QueueGap{});
  room_.notify_all();
}

void PacketQueue::wake() {
  ready_.notify_all();
  room_.notify_all();
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
