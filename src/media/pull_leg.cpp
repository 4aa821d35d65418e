#include "media/pull_leg.h"

#include <optional>
#include <thread>

#include <spdlog/spdlog.h>

#include "net/url_masking.h"

namespace streamrelay::media {
namespace {

// A read that takes longer than this waited for the network rather than found data buffered.
constexpr auto kCaughtUpRead = std::chrono::milliseconds(2);
// How long after its start point a stream is read as it comes, before reads are batched.
constexpr auto kSteadyAfter = std::chrono::seconds(1);

}  // namespace

PullLeg::PullLeg(LegContext context, std::unique_ptr<Source> source, std::vector<SourceUrl> urls)
    : context_(std::move(context)),
      source_(std::move(source)),
      backoff_(context_.settings.backoff),
      urls_(std::move(urls)) {
  source_->set_wait_hook([this] { signal_packets(); });
}

void PullLeg::signal_packets() {
  if (!has_unsignalled_packets_) return;
  has_unsignalled_packets_ = false;
  context_.queue.signal_ready();
}

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
    signal_packets();
    source_->close();
    if (context_.stop_requested) break;
    if (!has_new_urls_) wait_backoff();
  }
}

void PullLeg::pump(const SourceUrl& source_url) {
  const std::string& masked = source_url.masked;
  if (auto error = source_->open(source_url.url)) {
    on_source_failure(masked, net::redact_url_secrets(error->message, source_url.url),
                      error->kind == SourceErrorKind::unsupported);
    return;
  }
  context_.status.set_source_url(masked);
  report_skipped_tracks(source_->skipped_tracks(), masked);
  auto segment = std::make_shared<SegmentInfo>(source_->segment());
  segment->id = ++segment_counter_;
  segment->url = masked;
  context_.queue.push(std::shared_ptr<const SegmentInfo>(segment));
  auto opened_at = Clock::now();
  bool has_recovered = false;
  // Nothing waits until a second after the start point (a keyframe, or any packet without
  // video) went on: a player shows its first picture only once the frames after it come. Then a
  // source that batches its own reads is asked to; for any other the leg waits between reads.
  std::optional<Clock::time_point> started_at;
  if (!segment->video) started_at = Clock::now();
  const bool is_batched = source_->batches_reads();
  bool is_steady = false;
  while (!context_.stop_requested && !has_new_urls_) {
    MediaPacket packet;
    auto read_started = Clock::now();
    if (auto error = source_->read(packet)) {
      on_source_failure(masked, net::redact_url_secrets(error->message, source_url.url), false);
      return;
    }
    auto now = Clock::now();
    if (!is_steady && started_at && now - *started_at > kSteadyAfter) {
      is_steady = true;
      if (is_batched) source_->set_read_batching(context_.settings.live_read_batch);
    }
    // A read that had to wait means the relay has caught up with the live source: it lets data
    // gather for a moment, so the next wake-up reads several packets instead of one.
    if (is_steady && !is_batched && now - read_started > kCaughtUpRead) {
      std::this_thread::sleep_for(context_.settings.live_read_batch);
    }
    if (!started_at && packet.track == TrackKind::video && packet.is_keyframe) started_at = now;
    context_.status.add_bytes_in(static_cast<int64_t>(packet.size()));
    // A source that batches reads wakes the destination leg once per batch: when it is about to
    // wait for the network again (the wait hook), not at each packet.
    context_.queue.push(std::move(packet), !is_batched);
    has_unsignalled_packets_ = is_batched;
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

void PullLeg::report_skipped_tracks(const SkippedTracks& skipped, const std::string& url) {
  std::string error = skipped.is_empty() ? "" : "source: " + skipped.describe();
  context_.status.set_video_missing(skipped.video.empty() ? "" : error);
  if (error == reported_skipped_) return;
  reported_skipped_ = error;
  if (error.empty()) return;
  spdlog::warn("task_id={} event=track_skipped url={} error=\"{}\"", context_.task_id, url, error);
  context_.report({RelayEventKind::source_unsupported, url, error});
}

void PullLeg::wait_backoff() {
  auto delay = backoff_.next_delay();
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, delay, [this] { return context_.stop_requested || has_new_urls_; });
}

}  // namespace streamrelay::media
