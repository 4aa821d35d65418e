#include "media/pull_leg.h"

#include <thread>

#include <spdlog/spdlog.h>

namespace streamrelay::media {
namespace {

// A read that takes longer than this waited for the network rather than found data buffered.
constexpr auto kCaughtUpRead = std::chrono::milliseconds(2);

}  // namespace

PullLeg::PullLeg(LegContext context, std::unique_ptr<Source> source, std::vector<SourceUrl> urls)
    : context_(std::move(context)),
      source_(std::move(source)),
      backoff_(context_.settings.backoff),
      urls_(std::move(urls)) {}

SourceUrl PullLeg::current_url() {
  std::lock_guard lock(mutex_);
  return urls_.empty() ? SourceUrl{} : urls_[url_index_ % urls_.size()];
}

void PullLeg::update_sources(const SourceUpdate& update) {
  {
    std::lock_guard lock(mutex_);
    urls_ = update.urls;
    url_index_ = 0;
  }
  has_new_urls_ = true;
  wake();
}

void PullLeg::wake() {
  wake_.notify_all();
}

void PullLeg::run() {
  while (!context_.stop_requested) {
    has_new_urls_ = false;
    pump(current_url());
    source_->close();
    if (context_.stop_requested) break;
    if (!has_new_urls_) wait_backoff();
  }
}

void PullLeg::pump(const SourceUrl& source_url) {
  const std::string& masked = source_url.masked;
  if (auto error = source_->open(source_url.url)) {
    on_source_failure(masked, error->message, error->kind == SourceErrorKind::unsupported);
    return;
  }
  context_.status.set_source_url(masked);
  auto segment = std::make_shared<SegmentInfo>(source_->segment());
  segment->id = ++segment_counter_;
  segment->url = masked;
  context_.queue.push(std::shared_ptr<const SegmentInfo>(segment));
  auto opened_at = Clock::now();
  bool has_recovered = false;
  while (!context_.stop_requested && !has_new_urls_) {
    MediaPacket packet;
    auto read_started = Clock::now();
    if (auto error = source_->read(packet)) {
      on_source_failure(masked, error->message, false);
      return;
    }
    // A read that had to wait means the relay has caught up with the live source: it lets data
    // gather for a moment, so the next wake-up reads several packets instead of one.
    if (Clock::now() - read_started > kCaughtUpRead) {
      std::this_thread::sleep_for(context_.settings.live_read_batch);
    }
    context_.status.add_bytes_in(static_cast<int64_t>(packet.size()));
    context_.queue.push(std::move(packet));
    if (!has_recovered) {
      has_recovered = true;
      if (is_interrupted_) {
        is_interrupted_ = false;
        spdlog::info("task_id={} event=source_recovered url={}", context_.task_id, masked);
        context_.report({RelayEventKind::source_recovered, masked, ""});
      }
    }
    if (Clock::now() - opened_at > backoff_.policy().stable_period) backoff_.reset();
  }
}

void PullLeg::on_source_failure(const std::string& url, const std::string& error,
                                bool is_unsupported) {
  if (context_.stop_requested || has_new_urls_) return;
  {
    std::lock_guard lock(mutex_);
    ++url_index_;  // several URLs (a standby list) are tried in order
  }
  context_.status.on_failure("source: " + error);
  context_.status.on_reconnect();
  spdlog::warn("task_id={} event=source_failed url={} error=\"{}\"", context_.task_id, url, error);
  if (is_interrupted_) return;
  is_interrupted_ = true;
  auto kind =
      is_unsupported ? RelayEventKind::source_unsupported : RelayEventKind::source_interrupted;
  context_.report({kind, url, error});
}

void PullLeg::wait_backoff() {
  auto delay = backoff_.next_delay();
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, delay, [this] { return context_.stop_requested || has_new_urls_; });
}

}  // namespace streamrelay::media
