#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <string>

#include "media/av_handles.h"
#include "media/io_deadline.h"

namespace streamrelay::media {

// FLV (RTMP, HTTP-FLV) adds a track only when its first packet arrives, and a server may hold a
// new player's video back until the next keyframe, seconds away. avformat_find_stream_info would
// read out its whole analysis window (delaying every start) or give up before the video shows
// (leaving the relay audio-only). So FLV inputs are probed here: packets are read (and kept)
// until every track onMetaData announces has its configuration.
bool is_flv_input(const AVFormatContext& input);

// Reads into `pending` until the announced tracks are configured (a track nothing announced
// gets `quiet_wait` to appear), at most `limit` in all. An error text when the input fails.
std::optional<std::string> probe_flv_tracks(AVFormatContext& input, IoDeadline& deadline,
                                            std::chrono::milliseconds read_budget,
                                            std::chrono::milliseconds quiet_wait,
                                            std::chrono::milliseconds limit,
                                            std::deque<AvPacketPtr>& pending);

// Fills what find_stream_info would have: picture size (onMetaData, else the SPS), frame rate,
// AAC sample rate and channels (from the AudioSpecificConfig).
void complete_flv_parameters(AVFormatContext& input, const std::deque<AvPacketPtr>& pending);

}  // namespace streamrelay::media
