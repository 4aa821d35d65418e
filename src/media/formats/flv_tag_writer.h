#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
}

namespace streamrelay::media::flv {

// The bodies of FLV tags as a publish session's RTMP audio, video and data messages carry them,
// built from packets and codec parameters. Written here because libavformat's FLV muxer only
// writes a whole FLV byte stream, which our RTMP client then had to cut back into tags.

// Whether the writer carries the codec: H.264 video, AAC or MP3 audio.
bool can_write(const AVCodecParameters& params);

// The onMetaData body (AMF0 name and ECMA array) announcing the session's tracks, the fields
// libavformat's FLV muxer writes for a live stream (no duration, no file size).
std::vector<uint8_t> metadata_body(const AVCodecParameters* video, AVRational frame_rate,
                                   const AVCodecParameters* audio);

// A track's sequence header body from its configuration (extradata): the AVC decoder
// configuration record (built from SPS and PPS when the configuration is in Annex B form) or the
// AAC AudioSpecificConfig. Empty when the codec has none (MP3) or the configuration is unusable.
std::vector<uint8_t> sequence_header_body(const AVCodecParameters& params);

// A packet's tag body in two parts: the few header bytes, then the media data (the packet's
// own bytes, or `scratch` when Annex B NAL units had to become length-prefixed ones).
struct PacketBody {
  std::array<uint8_t, 5> header{};
  size_t header_size = 0;
  std::span<const uint8_t> data;

  std::span<const uint8_t> header_bytes() const { return {header.data(), header_size}; }
};

PacketBody packet_body(const AVCodecParameters& params, const AVPacket& packet,
                       std::vector<uint8_t>& scratch);

// The AVC end-of-sequence body a session sends before it unpublishes.
std::array<uint8_t, 5> avc_end_of_sequence_body();

// Whether H.264 data is in Annex B form (start codes) rather than length-prefixed NAL units.
bool is_annex_b(std::span<const uint8_t> data);

}  // namespace streamrelay::media::flv
