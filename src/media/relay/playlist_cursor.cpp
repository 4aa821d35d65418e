#include "media/relay/playlist_cursor.h"

#include <algorithm>

namespace streamrelay::media {

PlaylistCursor::PlaylistCursor(std::vector<SourceUrl> urls, int64_t loop_limit, int64_t index,
                               int64_t offset_ms, int64_t round)
    : urls_(std::move(urls)),
      loop_limit_(loop_limit),
      index_(std::clamp<int64_t>(index, 0, std::max<int64_t>(0, std::ssize(urls_) - 1))),
      offset_ms_(std::max<int64_t>(0, offset_ms)),
      round_(std::max<int64_t>(0, round)) {}

std::optional<PlaylistItem> PlaylistCursor::current() const {
  if (interlude_) return interlude_;
  if (urls_.empty() || (loop_limit_ >= 0 && round_ >= loop_limit_)) return std::nullopt;
  const SourceUrl& url = urls_[static_cast<size_t>(index_)];
  return PlaylistItem{index_, round_, url.url, url.masked, offset_ms_};
}

bool PlaylistCursor::advance() {
  offset_ms_ = 0;
  if (interlude_) {
    interlude_.reset();
    return false;
  }
  if (++index_ < std::ssize(urls_)) return false;
  index_ = 0;
  ++round_;
  return true;
}

void PlaylistCursor::repeat_round() {
  index_ = 0;
  round_ = std::max<int64_t>(0, round_ - 1);
}

void PlaylistCursor::set_interlude(SourceUrl url, int64_t reported_index, int64_t offset_ms) {
  interlude_ =
      PlaylistItem{reported_index, round_, url.url, url.masked, std::max<int64_t>(0, offset_ms)};
}

std::optional<int64_t> PlaylistCursor::index_of(const std::string& url) const {
  for (size_t i = 0; i < urls_.size(); ++i) {
    if (urls_[i].url == url) return static_cast<int64_t>(i);
  }
  return std::nullopt;
}

}  // namespace streamrelay::media
