#include "media/relay/push_leg.h"

#include <spdlog/spdlog.h>

#include "media/av_handles.h"
#include "media/rtmp/transport/rtmp_client.h"
#include "media/runtime/event_loops.h"
#include "media/runtime/open_slots.h"
#include "net/url_masking.h"

namespace streamrelay::media {
namespace {

// How long the leg waits for a packet before looking at its stop flag again.
constexpr std::chrono::milliseconds kPollInterval{100};
// How often a relay looks whether the slate another relay encodes is ready.
constexpr std::chrono::milliseconds kSlateEncodePoll{20};

size_t slot(TrackKind kind) {
  return kind == TrackKind::video ? 0 : 1;
}

}  // namespace

PushLeg::PushLeg(LegContext context, std::string destination_url, bool is_paced,
                 std::unique_ptr<Sink> sink, IoDeadline& deadline)
    : context_(std::move(context)),
      destination_url_(std::move(destination_url)),
      is_paced_(is_paced),
      sink_(std::move(sink)),
      deadline_(deadline),
      backoff_(context_.settings.backoff),
      pacer_(context_.settings.pacing_lead, context_.settings.pacing_max_lag) {
  sink_->set_batching(!is_paced_);  // live: one send per batch; files: each packet when due
}

bool PushLeg::runs_on_loop() const {
  return RtmpClient::handles(destination_url_);
}

void PushLeg::flush_batch() {
  items_since_flush_ = 0;
  if (!sink_->is_connected()) return;
  if (auto error = sink_->flush()) on_push_failure(*error);
}

void PushLeg::run() {
  while (!context_.stop_requested) {
    auto item = context_.queue.pop(kPollInterval);
    if (!item) {
      on_idle();
      flush_batch();
      continue;
    }
    last_input_ = Clock::now();
    if (items_since_flush_++ == 0) first_unflushed_ = last_input_;
    if (is_on_slate_) {
      // The slate stays on air until the source can go on from a keyframe: what a source that
      // is going away still hands out (the last frames a demuxer held) does not end it.
      auto* packet = std::get_if<MediaPacket>(&*item);
      if (packet && !is_start_point(*packet)) {
        on_idle();
        flush_batch();
        continue;
      }
      leave_slate(packet != nullptr);
    }
    if (auto* segment = std::get_if<std::shared_ptr<const SegmentInfo>>(&*item)) {
      on_segment(std::move(*segment));
    } else if (auto* packet = std::get_if<MediaPacket>(&*item)) {
      if (!has_ended_) on_packet(*packet);
    } else if (std::holds_alternative<QueueEnd>(*item)) {
      on_end();
    } else {
      needs_keyframe_ = true;  // packets were dropped
    }
    if (!is_paced_ && !context_.stop_requested) {
      // A batch goes out when the queue is drained, and at least every few batch periods
      // while it never is (a busy stream must not wait for the buffer to fill). A source that
      // hands over a packet or two per wake-up is given a moment to gather more; one that
      // hands over batches (several packets, one wake-up) is not waited for.
      bool is_drained = context_.queue.size() == 0;
      bool is_trickling = items_since_flush_ <= 2;
      if (is_drained || Clock::now() - first_unflushed_ > 2 * context_.settings.live_write_batch) {
        flush_batch();
      }
      if (is_drained && is_trickling) runtime::sleep_for(context_.settings.live_write_batch);
    }
  }
  finish_item();
  sink_->close();
  context_.status.set_connected(false);
}

void PushLeg::on_segment(std::shared_ptr<const SegmentInfo> segment) {
  segment_ = std::move(segment);
  // A live segment handed over with a backlog is paced from its first packet on; a file
  // channel's pacer runs on across its files (one clock for the whole channel).
  bool was_pacing_live = paces_live_segment_;
  paces_live_segment_ = !is_paced_ && segment_->backlog_last_dts.has_value();
  if (paces_live_segment_ || was_pacing_live) reset_pacer();
  if (segment_->item && !segment_->item->is_resumed) finish_item();
  rebaser_.begin_segment(segment_->frame_duration_ms);
  needs_keyframe_ = true;
  early_audio_.clear();
  AVCodecID video = segment_->video ? segment_->video->params->codec_id : AV_CODEC_ID_NONE;
  if (unsupported_video_ != AV_CODEC_ID_NONE && video != unsupported_video_) {
    // What the destination refused is gone: it is tried again now.
    unsupported_video_ = AV_CODEC_ID_NONE;
    is_unsupported_reported_ = false;
    next_connect_ = Clock::now();
  }
  if (sink_->is_connected() && !sink_->can_continue_with(*segment_)) {
    spdlog::info("task_id={} event=push_session_restart reason=codec_change", context_.task_id);
    sink_->close();
    context_.status.set_connected(false);
  }
  // A live destination is ready before the source's first keyframe comes: its handshake (a few
  // round trips to a distant ingest) is then not part of the time to the first picture.
  if (!is_paced_ && !sink_->is_connected()) ensure_connected();
}

bool PushLeg::is_start_point(const MediaPacket& packet) const {
  const auto& segment = is_on_slate_ ? source_segment_ : segment_;
  if (!segment || !segment->video) return true;
  return packet.track == TrackKind::video && packet.is_keyframe;
}

bool PushLeg::passes_keyframe_gate(const MediaPacket& packet) {
  if (!needs_keyframe_) return true;
  if (!is_start_point(packet)) return false;
  needs_keyframe_ = false;
  return true;
}

bool PushLeg::holds_early_audio(MediaPacket& packet) {
  if (!needs_keyframe_ || !segment_->video || packet.track != TrackKind::audio) return false;
  early_audio_.push_back(std::move(packet));
  if (early_audio_.size() > kMaxEarlyAudio) early_audio_.pop_front();
  return true;
}

void PushLeg::release_early_audio(int64_t keyframe_dts) {
  std::deque<MediaPacket> held = std::move(early_audio_);
  early_audio_.clear();
  for (MediaPacket& audio : held) {
    if (needs_keyframe_ || context_.stop_requested) return;
    if (audio.dts() >= keyframe_dts) write_packet(audio);
  }
}

void PushLeg::on_packet(MediaPacket& packet) {
  if (!segment_ || holds_early_audio(packet)) return;
  bool is_start = needs_keyframe_;
  if (!passes_keyframe_gate(packet)) return;
  int64_t input_dts = packet.dts();
  write_packet(packet);
  if (is_start) release_early_audio(input_dts);
}

void PushLeg::write_packet(MediaPacket& packet) {
  if (is_session_renewal_due(packet)) renew_session();
  if (!sink_->is_connected() && !connect_for(packet)) {
    needs_keyframe_ = true;
    return;
  }
  int64_t input_dts = packet.dts();
  // Past its backlog, a paced live segment whose queue has drained has caught up with its
  // source: what comes later goes out as it comes (a hiccup must not add to the delay).
  if (paces_live_segment_ && input_dts > *segment_->backlog_last_dts && context_.queue.size() == 0)
    paces_live_segment_ = false;
  if (!retime(packet)) return;
  if (is_paced_ || paces_live_segment_) wait_until_due(packet.dts());
  if (context_.stop_requested || !sink_->is_connected()) return;
  int64_t size = static_cast<int64_t>(packet.size());
  if (auto error = sink_->write(packet, take_new_config(packet.track))) {
    on_push_failure(*error);
    return;
  }
  context_.status.on_packet_written(size);
  if (!has_started_) {
    has_started_ = true;
    report(RelayEventKind::started, "");
  }
  if (segment_->item) track_playlist(input_dts, packet.dts(), packet.track == TrackKind::video);
  if (is_failing_) {
    is_failing_ = false;
    is_unsupported_reported_ = false;
    report(RelayEventKind::push_recovered, "");
  }
  if (Clock::now() - connected_at_ > backoff_.policy().stable_period) backoff_.reset();
}

bool PushLeg::connect_for(const MediaPacket&) {
  if (!is_paced_) return ensure_connected();  // live: packets that cannot go now are dropped
  // A file channel holds its position while the destination is away, instead of playing on
  // into the void: the source leg waits on the full queue meanwhile.
  while (!ensure_connected()) {
    if (context_.stop_requested) return false;
    auto wait =
        std::min<Clock::duration>(next_connect_ - Clock::now(), std::chrono::milliseconds(50));
    if (wait > Clock::duration::zero()) runtime::sleep_for(wait);
  }
  return true;
}

bool PushLeg::ensure_connected() {
  if (Clock::now() < next_connect_) return false;
  auto slot = runtime::OpenSlots::shared().acquire(context_.stop_requested);
  if (!slot) return false;
  if (auto error = sink_->connect(destination_url_, *segment_)) {
    on_push_failure(*error);
    return false;
  }
  bool is_first_session = connected_at_ == Clock::time_point{};
  connected_at_ = Clock::now();
  context_.status.set_connected(true);
  rebaser_.reset_session(is_first_session ? context_.settings.output_start_ms : 0);
  reset_pacer();
  announced_[0] = segment_->video ? segment_->video->params : nullptr;
  announced_[1] = segment_->audio ? segment_->audio->params : nullptr;
  spdlog::info("task_id={} event=push_connected", context_.task_id);
  return true;
}

bool PushLeg::is_session_renewal_due(const MediaPacket& packet) const {
  auto last = rebaser_.last_dts();
  bool is_start_point = packet.track == TrackKind::video ? packet.is_keyframe : !segment_->video;
  return sink_->is_connected() && last && *last >= kRenewSessionAtMs && is_start_point;
}

void PushLeg::renew_session() {
  std::string reason = "the output timeline reached " + std::to_string(*rebaser_.last_dts()) +
                       " ms: a new publish session starts before RTMP's timestamps would wrap";
  spdlog::warn("task_id={} event=push_session_renewed note=\"{}\"", context_.task_id, reason);
  report(RelayEventKind::push_renewed, reason);
  sink_->close();
  context_.status.set_connected(false);
  next_connect_ = Clock::now();
}

bool PushLeg::retime(MediaPacket& packet) {
  bool is_segment_audio_start =
      packet.track == TrackKind::audio && !rebaser_.has_started_segment(TrackKind::audio);
  auto last_audio = rebaser_.last_out(TrackKind::audio);
  auto mapped = rebaser_.map(packet.track, packet.dts(), packet.pts());
  if (!mapped) return false;
  if (is_segment_audio_start && last_audio && !fill_audio_hole(*last_audio, mapped->dts))
    return false;
  packet.packet->dts = mapped->dts;
  packet.packet->pts = mapped->pts;
  return true;
}

bool PushLeg::fill_audio_hole(int64_t last_dts, int64_t next_dts) {
  // Silence in the configuration the destination's decoder expects: the audio announced last
  // (a segment with a new one announces it with its own first frame, after the silence).
  const auto& announced = announced_[slot(TrackKind::audio)];
  if (!announced) return true;
  TrackConfig config{TrackKind::audio, announced, {0, 1}};
  for (MediaPacket& frame : silence_.fill(config, last_dts, next_dts)) {
    int64_t size = static_cast<int64_t>(frame.size());
    if (auto error = sink_->write(frame, nullptr)) {
      on_push_failure(*error);
      return false;
    }
    context_.status.on_filler_written(size);
  }
  return true;
}

const TrackConfig* PushLeg::take_new_config(TrackKind kind) {
  const auto& config = segment_->track(kind);
  auto& announced = announced_[slot(kind)];
  if (!config || announced == config->params) return nullptr;
  bool has_changed = !announced || !is_same_extradata(*announced, *config->params);
  announced = config->params;
  return has_changed ? &*config : nullptr;
}

void PushLeg::on_push_failure(const SinkError& failure) {
  if (context_.stop_requested) return;
  std::string error = net::redact_url_secrets(failure.message, destination_url_);
  sink_->close();
  context_.status.set_connected(false);
  context_.status.on_failure("destination: " + error);
  context_.status.on_reconnect();
  needs_keyframe_ = true;
  auto delay = backoff_.next_delay();
  if (failure.is_unsupported) {
    // The same stream would be refused again: it is tried again after a long wait (the
    // destination may be upgraded), or as soon as the source's codecs change.
    delay = std::max<std::chrono::milliseconds>(delay, kUnsupportedRetry);
    unsupported_video_ =
        segment_ && segment_->video ? segment_->video->params->codec_id : AV_CODEC_ID_NONE;
  }
  next_connect_ = Clock::now() + delay;
  spdlog::warn("task_id={} event={} error=\"{}\" retry_in_ms={}", context_.task_id,
               failure.is_unsupported ? "destination_unsupported" : "push_failed", error,
               delay.count());
  if (failure.is_unsupported && !is_unsupported_reported_) {
    is_unsupported_reported_ = true;
    is_failing_ = true;
    report(RelayEventKind::destination_unsupported, error);
  } else if (!is_failing_) {
    is_failing_ = true;
    report(RelayEventKind::push_failed, error);
  }
}

void PushLeg::on_idle() {
  auto hold = context_.settings.slate_hold;
  if (has_ended_ || !segment_ || !sink_->is_connected() || hold.count() == 0) return;
  auto now = Clock::now();
  if (!is_on_slate_) {
    // A standby gets a little more than the stall threshold to take over before the slate does.
    auto starved = context_.settings.stall_threshold +
                   (has_standby_ ? std::chrono::milliseconds(1000) : std::chrono::milliseconds(0));
    if (now - last_input_ < starved || !start_slate()) return;
    slate_started_ = now;
  }
  if (now - slate_started_ > hold) {
    spdlog::warn(
        "task_id={} event=slate_hold_over note=\"no source for {} s: ending the "
        "destination session\"",
        context_.task_id, hold.count() / 1000);
    leave_slate(false);
    sink_->close();
    context_.status.set_connected(false);
    needs_keyframe_ = true;  // a new session begins on a keyframe
    return;
  }
  auto until = std::chrono::duration_cast<std::chrono::milliseconds>(now - slate_started_).count();
  while (auto packet = slate_->next(until)) {
    if (!retime(*packet)) {
      if (sink_->is_connected()) continue;
      leave_slate(false);  // the destination failed while the hole before it was filled
      return;
    }
    int64_t size = static_cast<int64_t>(packet->size());
    if (auto error = sink_->write(*packet, take_new_config(packet->track))) {
      leave_slate(false);
      on_push_failure(*error);
      return;
    }
    context_.status.on_filler_written(size);
  }
}

bool PushLeg::start_slate() {
  const SegmentInfo& like = *segment_;
  bool is_cached = slate_ && slate_for_video_ == (like.video ? like.video->params : nullptr) &&
                   slate_for_audio_ == (like.audio ? like.audio->params : nullptr);
  if (!is_cached) {
    slate_ = shared_slate(like);
    slate_for_video_ = like.video ? like.video->params : nullptr;
    slate_for_audio_ = like.audio ? like.audio->params : nullptr;
  }
  if (!slate_) return false;
  slate_->rewind();
  source_segment_ = segment_;
  segment_ = slate_->segment();
  rebaser_.begin_segment(segment_->frame_duration_ms);
  is_on_slate_ = true;
  role_before_slate_ = context_.status.snapshot().source_role;
  context_.status.set_source_role("slate");
  spdlog::warn("task_id={} event=slate_on note=\"no source: the destination gets the slate\"",
               context_.task_id);
  return true;
}

std::optional<Slate> PushLeg::shared_slate(const SegmentInfo& like) {
  SlateCache& cache = SlateCache::shared();
  std::string key = Slate::key_of(like);
  for (;;) {
    std::optional<Slate> slate;
    switch (cache.find_or_claim(key, slate)) {
      case SlateCache::Claim::kReady:
        return slate;
      case SlateCache::Claim::kMine:
        return cache.fill_claim(key, [&] {
          return runtime::blocking_call([&] { return Slate::make(like); });  // off the loop
        });
      case SlateCache::Claim::kBusy:
        if (context_.stop_requested) return std::nullopt;
        runtime::sleep_for(kSlateEncodePoll);
        break;
    }
  }
}

void PushLeg::leave_slate(bool resumes_same_segment) {
  if (!is_on_slate_) return;
  is_on_slate_ = false;
  context_.status.set_source_role(role_before_slate_);
  spdlog::info("task_id={} event=slate_off", context_.task_id);
  // The source goes on where it was: a fresh start for the same segment, on a keyframe.
  segment_ = source_segment_;
  if (resumes_same_segment && segment_) {
    rebaser_.begin_segment(segment_->frame_duration_ms);
    needs_keyframe_ = true;
  }
}

void PushLeg::reset_pacer() {
  // Files may run a little ahead of real time; a standby's backlog goes out exactly at its pace.
  pacer_ = paces_live_segment_
               ? Pacer(std::chrono::milliseconds(0), kLiveBacklogMaxLag)
               : Pacer(context_.settings.pacing_lead, context_.settings.pacing_max_lag);
}

void PushLeg::wait_until_due(int64_t dts) {
  // Sleeps in short slices so a stop is noticed at once.
  constexpr auto kSlice = std::chrono::milliseconds(20);
  bool has_flushed = false;
  for (;;) {
    auto delay = pacer_.delay_for(dts, Clock::now());
    if (delay <= Clock::duration::zero() || context_.stop_requested) return;
    // What a batching leg holds goes out before it waits: a standby's keyframe is on air at
    // the switch, not a batch period later.
    if (!has_flushed && items_since_flush_ > 0) flush_batch();
    has_flushed = true;
    if (!sink_->is_connected()) return;
    runtime::sleep_for(std::min<Clock::duration>(delay, kSlice));
  }
}

void PushLeg::track_playlist(int64_t input_dts, int64_t output_dts, bool is_video) {
  const PlaylistItem& item = *segment_->item;
  if (!is_item_reported_) {
    item_ = item;
    item_first_dts_ = output_dts;
    item_last_dts_ = output_dts;
    is_item_reported_ = true;
    RelayEvent event{RelayEventKind::file_started, item.masked_url, ""};
    event.file_index = item.file_index;
    event.loop_round = item.loop_round;
    context_.report(event);
  }
  // A file's played time is its picture's when it has one (audio may run a little longer).
  if (!segment_->video || is_video) item_last_dts_ = std::max(item_last_dts_, output_dts);
  Playhead playhead;
  playhead.file_index = item.file_index;
  playhead.loop_round = item.loop_round;
  playhead.position_ms = std::max<int64_t>(0, input_dts - segment_->file_start_ms);
  playhead.url = item.url;
  playhead.masked_url = item.masked_url;
  playhead.is_known = true;
  context_.status.set_playhead(playhead);
}

void PushLeg::finish_item() {
  if (!item_ || !is_item_reported_) return;
  is_item_reported_ = false;
  RelayEvent event{RelayEventKind::file_finished, item_->masked_url, ""};
  event.file_index = item_->file_index;
  event.loop_round = item_->loop_round;
  int64_t frame = segment_ ? segment_->frame_duration_ms : 0;
  event.played_seconds = static_cast<double>(item_last_dts_ - item_first_dts_ + frame) / 1000.0;
  context_.report(event);
}

void PushLeg::on_end() {
  finish_item();
  has_ended_ = true;
  sink_->close();
  context_.status.set_connected(false);
  context_.status.set_finished();
  spdlog::info("task_id={} event=playlist_finished", context_.task_id);
}

void PushLeg::report(RelayEventKind kind, const std::string& error) {
  context_.report({kind, "", error});
}

}  // namespace streamrelay::media
