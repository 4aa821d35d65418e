#pragma once

#include "support/media_tools.h"

namespace streamrelay::bench {

// The low-rate live source the density and soak benchmarks relay: 320x240 at 25 fps, H.264 at
// 150 kbit/s with AAC (about 240 kbit/s at the ingest).
inline test_support::PublisherOptions low_rate_source() {
  test_support::PublisherOptions options;
  options.size = "320x240";
  options.fps = 25;
  options.video_bitrate = "150k";
  return options;
}

}  // namespace streamrelay::bench
