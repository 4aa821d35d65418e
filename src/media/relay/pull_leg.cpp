#include "media/relay/pull_leg.h"

#include <optional>

#include <spdlog/spdlog.h>

#include "net/url_masking.h"

namespace streamrelay::media {
namespace {

// A read that takes longer than this waited for the network rather than found data buffered.
constexpr auto kCaughtUpRead = std::chrono::milliseconds(2);
// How long after its start point a stream is read as it comes, before reads are batched.
constexpr auto kSteadyAfter = std::chrono::seconds(1);
// A reopened live HLS source starts two segments behind the newest while the relay plays about
// one behind, so what it sends again reaches back at most about three target durations; older
// timestamps mean the source started a new timeline.
constexpr int64_t kReplayWindowTargets = 3;

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
  // Taking the lock orders this after a waiter's check of the flags: the notification is not
  // lost between its check and its wait.
  { std::lock_guard lock(mutex_); }
  wake_.notify_all();
}

void PullLeg::run() {
  while (!context_.stop_requested) {
    has_new_urls_ = false;
    SourceUrl url = current_url();
    // Its turn to open is waited for here, on the fiber, before any worker thread is taken.
    auto slot = runtime::OpenSlots::shared().acquire(context_.stop_requested);
    if (!slot) break;
    // Our RTMP client parks this fiber; FFmpeg's inputs block, on a worker thread.
    runtime::run_leg(source_->opens_on_loop(url.url), [&] { pump(url, slot); });
    signal_packets();
    runtime::run_leg(source_->reads_on_loop(), [this] { source_->close(); });
    if (context_.stop_requested) break;
    if (!has_new_urls_) wait_backoff();
  }
}

std::shared_ptr<const SegmentInfo> PullLeg::open_source(const SourceUrl& source_url) {
  if (auto error = source_->open(source_url.url)) {
    on_source_failure(source_url.masked, net::redact_url_secrets(error->message, source_url.url),
                      error->kind == SourceErrorKind::unsupported);
    return nullptr;
  }
  context_.status.set_source_url(source_url.masked);
  report_skipped_tracks(source_->skipped_tracks(), source_url.masked);
  auto segment = std::make_shared<SegmentInfo>(source_->segment());
  segment->id = ++segment_counter_;
  segment->url = source_url.masked;
  context_.queue.push(std::shared_ptr<const SegmentInfo>(segment));
  replay_guard_.begin(source_url.url, kReplayWindowTargets * segment->playlist_target_ms);
  if (segment->playlist_target_ms > 0) {
    spdlog::debug("task_id={} event=segmented_source target_ms={} note=\"paced to real time\"",
                  context_.task_id, segment->playlist_target_ms);
  }
  return segment;
}

void PullLeg::pump(const SourceUrl& source_url, std::optional<runtime::OpenSlots::Permit>& slot) {
  auto segment = open_source(source_url);
  slot.reset();
  if (!segment) return;
  runtime::run_leg(source_->reads_on_loop(), [&] { read_packets(source_url, segment); });
}

void PullLeg::read_packets(const SourceUrl& source_url,
                           const std::shared_ptr<const SegmentInfo>& segment) {
  auto opened_at = Clock::now();
  bool has_recovered = false;
  // Nothing waits until a second after the start point (a keyframe, or any packet without
  // video) went on: a player shows its first picture only once the frames after it come. Then a
  // source that batches its own reads is asked to; for any other the leg waits between reads.
  std::optional<Clock::time_point> started_at;
  if (!segment->video) started_at = Clock::now();
  const bool is_batched = source_->batches_reads();
  const bool may_batch = context_.settings.live_read_batch.count() > 0;  // not a failover feed
  // A source that delivers in segments is released at real time by the leg itself.
  std::optional<BurstPacer> pacer;
  if (segment->playlist_target_ms > 0) {
    pacer.emplace(context_.settings.pacing_lead, context_.settings.pacing_max_lag);
  }
  bool is_steady = false;
  while (!context_.stop_requested && !has_new_urls_) {
    MediaPacket packet;
    auto read_started = Clock::now();
    if (auto error = source_->read(packet)) {
      on_source_failure(source_url.masked, net::redact_url_secrets(error->message, source_url.url),
                        false);
      return;
    }
    auto now = Clock::now();
    if (!is_steady && started_at && now - *started_at > kSteadyAfter) {
      is_steady = true;
      if (is_batched) source_->set_read_batching(context_.settings.live_read_batch);
    }
    // A read that had to wait means the relay has caught up with the live source: it lets data
    // gather for a moment, so the next wake-up reads several packets instead of one.
    if (is_steady && may_batch && !is_batched && !pacer && now - read_started > kCaughtUpRead) {
      runtime::sleep_for(context_.settings.live_read_batch);
    }
    context_.status.add_bytes_in(static_cast<int64_t>(packet.size()));
    if (is_replay(packet)) continue;
    if (pacer && !wait_until_due(*pacer, packet)) return;
    if (!started_at && packet.track == TrackKind::video && packet.is_keyframe) started_at = now;
    forward(std::move(packet), is_batched || pacer);
    if (!has_recovered) {
      has_recovered = true;
      note_recovered(source_url.masked);
    }
    if (Clock::now() - opened_at > backoff_.policy().stable_period) backoff_.reset();
  }
}

bool PullLeg::is_replay(const MediaPacket& packet) {
  if (!replay_guard_.passes(packet.track, packet.dts(), packet.size())) {
    ++replayed_packets_;
    return true;
  }
  if (replayed_packets_ > 0) {
    spdlog::info(
        "task_id={} event=replay_dropped packets={} note=\"sent before the source was "
        "opened again\"",
        context_.task_id, replayed_packets_);
    replayed_packets_ = 0;
  }
  return false;
}

void PullLeg::forward(MediaPacket packet, bool is_batched) {
  // A batched or paced source wakes the destination leg once per batch: when it is about to
  // wait (for the network, or for the next packet's time), not at each packet.
  context_.queue.push(std::move(packet), !is_batched);
  has_unsignalled_packets_ = is_batched;
}

bool PullLeg::wait_until_due(BurstPacer& pacer, const MediaPacket& packet) {
  for (;;) {
    auto delay = pacer.delay_for(packet.track, packet.dts(), Clock::now());
    if (delay <= Clock::duration::zero()) return true;
    signal_packets();
    // Packets due within a batch period of each other go out together.
    auto pause = std::max<Clock::duration>(delay, context_.settings.live_read_batch);
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, pause, [this] { return context_.stop_requested || has_new_urls_; })) {
      return false;
    }
  }
}

void PullLeg::note_recovered(const std::string& masked) {
  if (!is_interrupted_) return;
  is_interrupted_ = false;
  spdlog::info("task_id={} event=source_recovered url={}", context_.task_id, masked);
  context_.report({RelayEventKind::source_recovered, masked, ""});
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
