#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace streamrelay::bench {

// One decoded picture: when it arrived, its width and the luma of its first pixel.
struct SeenFrame {
  double wall_seconds;  // steady clock, seconds
  int width;
  int luma;
};

// Decodes the video of `url` for `seconds` of wall time (from when it opens), or until `enough`
// pictures came, and records every picture. Blocks; bounded in time even when nothing arrives.
std::vector<SeenFrame> watch_frames(const std::string& url, double seconds,
                                    size_t enough = SIZE_MAX);

double steady_seconds();

}  // namespace streamrelay::bench
