#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "media/media_packet.h"
#include "media/relay/relay.h"

namespace streamrelay::media {

// Where a playlist is: which file, from which offset, in which round, and what comes next.
class PlaylistCursor {
 public:
  // `loop_limit` rounds (-1: forever), starting at file `index`, `offset_ms` into it.
  PlaylistCursor(std::vector<SourceUrl> urls, int64_t loop_limit, int64_t index, int64_t offset_ms,
                 int64_t round);

  // The item to play now; nullopt once every round was played.
  std::optional<PlaylistItem> current() const;
  // Moves to the next file (the offset only applies to the first item played); true when that
  // began a new round.
  bool advance();
  // Goes back to the start of the round just ended, which then counts as not played.
  void repeat_round();
  bool is_done() const { return !current(); }

  // Plays `url` once, from `offset_ms`, before the current item (reported as `index`); used when
  // an update keeps the file that was playing.
  void set_interlude(SourceUrl url, int64_t reported_index, int64_t offset_ms);
  void set_loop_limit(int64_t loop_limit) { loop_limit_ = loop_limit; }
  int64_t loop_limit() const { return loop_limit_; }

  const std::vector<SourceUrl>& urls() const { return urls_; }
  // The index of `url` in the list, or nullopt.
  std::optional<int64_t> index_of(const std::string& url) const;

 private:
  std::vector<SourceUrl> urls_;
  int64_t loop_limit_;
  int64_t index_;
  int64_t offset_ms_;
  int64_t round_;
  std::optional<PlaylistItem> interlude_;
};

}  // namespace streamrelay::media
