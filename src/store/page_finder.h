#pragma once

#include <cstdint>

namespace streamrelay::store {

// Creation numbers per block of task_blocks: a task's block is `seq >> kTaskBlockBits` (the
// schemas' `seq >> 10`).
inline constexpr int kTaskBlockBits = 10;

// Where a page of a project's tasks (newest first) starts, found from the live tasks counted per
// block of creation numbers: blocks are read from the nearer end (newest first for the first half
// of the tasks, oldest first for the second) until the one that holds the page's first task.
class PageFinder {
 public:
  PageFinder(int64_t total, int64_t offset) : total_(total), offset_(offset) {}

  bool is_past_the_end() const { return offset_ >= total_; }
  bool reads_newest_first() const { return offset_ < total_ / 2; }
  // The page's first task's place counted from the end the blocks are read from.
  int64_t place() const { return reads_newest_first() ? offset_ : total_ - 1 - offset_; }
  // Blocks passed in the reading order whose tasks were summed elsewhere (by the database).
  void pass(int64_t live) { seen_ += live; }
  // The next block in the reading order; true once it holds the page's first task.
  bool add(int64_t block, int64_t live) {
    int64_t place = this->place();
    if (seen_ + live <= place) {
      seen_ += live;
      return false;
    }
    block_ = block;
    live_ = live;
    int64_t within = place - seen_;  // from the reading end of the block
    skipped_ = reads_newest_first() ? within : live - 1 - within;
    return true;
  }
  int64_t block() const { return block_; }
  // Tasks of the block newer than the page's first one.
  int64_t skipped() const { return skipped_; }
  // The page's first task is found in its block from the block's nearer end: past `skipped()`
  // tasks below `newest_bound()` (newest first), or past `older()` from `oldest_bound()` on.
  bool seeks_from_newest() const { return skipped_ <= older(); }
  int64_t older() const { return live_ - 1 - skipped_; }
  int64_t newest_bound() const { return (block_ + 1) << kTaskBlockBits; }
  int64_t oldest_bound() const { return block_ << kTaskBlockBits; }

 private:
  int64_t total_;
  int64_t offset_;
  int64_t seen_ = 0;
  int64_t block_ = -1;
  int64_t live_ = 0;
  int64_t skipped_ = 0;
};

}  // namespace streamrelay::store
