#include "media/relay/playlist_leg.h"

#include <spdlog/spdlog.h>

#include "net/url_masking.h"

namespace streamrelay::media {
namespace {

// Files open and probe like any source, but may take longer to reveal their tracks (HLS VOD).
constexpr std::chrono::milliseconds kFileProbeDuration{5000};

RelaySettings file_settings_of(const RelaySettings& settings) {
  RelaySettings file = settings;
  file.probe_duration = kFileProbeDuration;
  return file;
}

std::string masked_of(const std::vector<SourceUrl>& urls, const std::string& url) {
  for (const SourceUrl& candidate : urls) {
    if (candidate.url == url) return candidate.masked;
  }
  return url;
}

}  // namespace

PlaylistLeg::PlaylistLeg(const LegContext& context, IoDeadline& deadline, const SourcePlan& plan)
    : context_(context),
      deadline_(deadline),
      file_settings_(file_settings_of(context.settings)),
      source_(deadline, file_settings_),
      spool_(context.settings.spool_folder, context.settings.spool_max_bytes, context.settings.tls),
      cursor_(plan.urls, plan.loop_limit, plan.start_index, plan.start_offset_ms, plan.start_round),
      backoff_(context.settings.backoff),
      is_paused_(plan.is_paused),
      wants_pause_(plan.is_paused) {}

void PlaylistLeg::wake() {
  wake_.notify_all();
}

void PlaylistLeg::update_sources(const SourceUpdate& update) {
  {
    std::lock_guard lock(mutex_);
    pending_update_ = update;
    has_change_ = true;
    has_interrupting_change_ = true;
  }
  wake();
}

void PlaylistLeg::set_paused(bool is_paused) {
  {
    std::lock_guard lock(mutex_);
    wants_pause_ = is_paused;
    has_change_ = true;
    has_interrupting_change_ = true;
  }
  wake();
}

void PlaylistLeg::set_loop_limit(int64_t loop_limit) {
  {
    std::lock_guard lock(mutex_);
    pending_loop_limit_ = loop_limit;
    has_change_ = true;
  }
  wake();
}

void PlaylistLeg::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, timeout, [this] { return context_.stop_requested || has_change_.load(); });
}

void PlaylistLeg::run() {
  while (!context_.stop_requested) {
    if (apply_pending_changes()) continue;
    if (is_paused_) {
      wait(std::chrono::seconds(1));
      continue;
    }
    auto item = cursor_.current();
    if (!item) {
      if (!has_sent_end_ && push(QueueEnd{}) != Outcome::interrupted) has_sent_end_ = true;
      wait(std::chrono::seconds(1));
      continue;
    }
    Outcome outcome = play(*item);
    if (outcome == Outcome::interrupted) continue;
    has_played_in_round_ |= outcome == Outcome::played;
    if (cursor_.advance()) {
      // A round in which no file played is not a round: it is tried again, not counted.
      if (!has_played_in_round_) cursor_.repeat_round();
      has_played_in_round_ = false;
    }
    if (outcome == Outcome::played) {
      consecutive_failures_ = 0;
      continue;
    }
    // Every file failed in a row: the channel is down; wait before the next round of attempts.
    if (++consecutive_failures_ >= static_cast<int64_t>(cursor_.urls().size())) {
      consecutive_failures_ = 0;
      wait(backoff_.next_delay());
    }
  }
  source_.close();
}

PlaylistLeg::Outcome PlaylistLeg::push(QueueItem item) {
  bool is_pushed = context_.queue.push_or_wait(
      item, [this] { return context_.stop_requested.load() || has_interrupting_change_.load(); });
  return is_pushed ? Outcome::played : Outcome::interrupted;
}

PlaylistLeg::Outcome PlaylistLeg::play(PlaylistItem item) {
  has_new_cursor_ = false;
  item.is_resumed = resume_next_;
  resume_next_ = false;
  std::string local_copy;
  Outcome outcome = Outcome::failed;
  if (auto error = open_item(item, local_copy)) {
    on_file_failure(item, *error);
  } else {
    outcome = play_opened(item);
  }
  source_.close();
  if (!local_copy.empty()) FileSpool::remove(local_copy);
  return outcome;
}

std::optional<SourceError> PlaylistLeg::open_item(const PlaylistItem& item,
                                                  std::string& local_copy) {
  auto error = source_.open(item.url);
  if (!error || error->kind != SourceErrorKind::needs_local_copy) return error;
  spdlog::info("task_id={} event=file_spooling file_index={} url={}", context_.task_id,
               item.file_index, item.masked_url);
  FileSpool::Copy copy = spool_.fetch(item.url, deadline_, context_.settings.stall_threshold);
  if (copy.path.empty()) return copy.error;
  local_copy = copy.path;
  return source_.open_local_copy(copy.path);
}

PlaylistLeg::Outcome PlaylistLeg::play_opened(const PlaylistItem& item) {
  if (item.start_offset_ms > 0) source_.seek(item.start_offset_ms);
  report_skipped_tracks(item, source_.skipped_tracks());
  auto segment = std::make_shared<SegmentInfo>(source_.segment());
  segment->id = ++segment_counter_;
  segment->url = item.masked_url;
  segment->item = item;
  context_.status.set_source_url(item.masked_url);
  if (push(std::shared_ptr<const SegmentInfo>(segment)) == Outcome::interrupted) {
    return Outcome::interrupted;
  }
  spdlog::debug("task_id={} event=file_open file_index={} round={} offset_ms={}", context_.task_id,
                item.file_index, item.loop_round, item.start_offset_ms);
  interleaver_.begin(segment->video.has_value(), segment->audio.has_value());
  int64_t packets = 0;
  for (bool is_reading = true; is_reading;) {
    MediaPacket packet;
    auto error = source_.read(packet);
    if (error) {
      // A truncated or corrupt file: what was read is played, the rest is skipped.
      if (error->kind != SourceErrorKind::ended) on_file_failure(item, *error);
      is_reading = false;
    } else {
      context_.status.add_bytes_in(static_cast<int64_t>(packet.size()));
      interleaver_.push(std::move(packet));
    }
    while (auto ready = is_reading ? interleaver_.pop() : interleaver_.drain()) {
      if (push(std::move(*ready)) == Outcome::interrupted) return Outcome::interrupted;
      if (packets++ == 0) on_file_played(item);
    }
  }
  return packets > 0 ? Outcome::played : Outcome::failed;
}

bool PlaylistLeg::apply_pending_changes() {
  if (!has_change_) return false;
  std::optional<SourceUpdate> update;
  std::optional<int64_t> loop_limit;
  bool wants_pause;
  {
    std::lock_guard lock(mutex_);
    update.swap(pending_update_);
    loop_limit.swap(pending_loop_limit_);
    wants_pause = wants_pause_;
    has_change_ = false;
    has_interrupting_change_ = false;
  }
  if (loop_limit) cursor_.set_loop_limit(*loop_limit);
  if (update) {
    source_.close();
    apply_update(*update);
    has_new_cursor_ = is_paused_ || wants_pause;
  }
  if (wants_pause && !is_paused_) {
    // Stop at once: what is queued is dropped; resuming continues where the output stopped.
    source_.close();
    context_.queue.drop_packets();
    is_paused_ = true;
    spdlog::info("task_id={} event=playlist_paused", context_.task_id);
  } else if (!wants_pause && is_paused_) {
    is_paused_ = false;
    if (!has_new_cursor_) resume_at_playhead();
    spdlog::info("task_id={} event=playlist_resumed", context_.task_id);
  }
  has_sent_end_ = false;  // a longer loop limit or a new list may have more to play
  return true;
}

void PlaylistLeg::resume_at_playhead() {
  Playhead playhead = context_.output_status().playhead();
  if (!playhead.is_known) return;
  cursor_ = PlaylistCursor(cursor_.urls(), cursor_.loop_limit(), playhead.file_index,
                           playhead.position_ms, playhead.loop_round);
  resume_next_ = true;
}

void PlaylistLeg::apply_update(const SourceUpdate& update) {
  context_.queue.drop_packets();
  Playhead playhead = context_.output_status().playhead();
  std::vector<SourceUrl> old_urls = cursor_.urls();
  int64_t limit = cursor_.loop_limit();
  bool keeps_file = update.mode != RefreshMode::immediate_new_source && playhead.is_known;
  if (!keeps_file) {
    cursor_ = PlaylistCursor(update.urls, limit, update.start_index, update.start_offset_ms, 0);
  } else {
    int64_t offset =
        update.mode == RefreshMode::continue_from_break_point ? playhead.position_ms : 0;
    PlaylistCursor next(update.urls, limit, 0, 0, playhead.loop_round);
    if (auto index = next.index_of(playhead.url)) {
      next = PlaylistCursor(update.urls, limit, *index, offset, playhead.loop_round);
    } else {
      next.set_interlude({playhead.url, masked_of(old_urls, playhead.url)}, playhead.file_index,
                         offset);
    }
    cursor_ = std::move(next);
    resume_next_ = update.mode == RefreshMode::continue_from_break_point;
  }
  consecutive_failures_ = 0;
  spdlog::info("task_id={} event=playlist_updated files={} mode={}", context_.task_id,
               update.urls.size(), static_cast<int>(update.mode));
}

void PlaylistLeg::report_skipped_tracks(const PlaylistItem& item, const SkippedTracks& skipped) {
  std::string error = skipped.is_empty() ? ""
                                         : "source: file " + std::to_string(item.file_index) +
                                               ": " + skipped.describe();
  context_.status.set_video_missing(skipped.video.empty() ? "" : error);
  if (error.empty()) return;
  spdlog::warn("task_id={} event=track_skipped file_index={} url={} error=\"{}\"", context_.task_id,
               item.file_index, item.masked_url, error);
  RelayEvent event{RelayEventKind::source_unsupported, item.masked_url, error};
  event.file_index = item.file_index;
  event.loop_round = item.loop_round;
  context_.report(event);
}

void PlaylistLeg::on_file_played(const PlaylistItem& item) {
  if (!is_failing_) return;
  is_failing_ = false;
  spdlog::info("task_id={} event=source_recovered file_index={}", context_.task_id,
               item.file_index);
  RelayEvent event{RelayEventKind::source_recovered, item.masked_url, ""};
  event.file_index = item.file_index;
  event.loop_round = item.loop_round;
  context_.report(event);
}

void PlaylistLeg::on_file_failure(const PlaylistItem& item, const SourceError& failure) {
  if (context_.stop_requested) return;
  is_failing_ = true;
  SourceError error{failure.kind, net::redact_url_secrets(failure.message, item.url)};
  context_.status.on_failure("source: file " + std::to_string(item.file_index) + ": " +
                             error.message);
  spdlog::warn("task_id={} event=file_failed file_index={} url={} error=\"{}\"", context_.task_id,
               item.file_index, item.masked_url, error.message);
  RelayEvent event{error.kind == SourceErrorKind::unsupported ? RelayEventKind::source_unsupported
                                                              : RelayEventKind::file_failed,
                   item.masked_url, error.message};
  event.file_index = item.file_index;
  event.loop_round = item.loop_round;
  context_.report(event);
}

}  // namespace streamrelay::media
