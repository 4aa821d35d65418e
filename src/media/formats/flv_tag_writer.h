#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "media/formats/flv_tags.h"

extern "C" {
#include <libavcodec/avcodec.h>
}

namespace streamrelay::media::flv {

// The bodies of FLV tags as a publish session's RTMP audio, video and data messages carry them,
// built from packets and codec parameters: legacy tags for H.264, AAC and MP3, enhanced RTMP (v1)
// FourCC tags for HEVC, AV1 and VP9. Ours because libavformat's FLV muxer (FFmpeg 5.1) writes no
// enhanced RTMP and only a whole FLV byte stream, which our RTMP client had to cut back into tags.

// Whether the writer carries the codec: H.264, HEVC, AV1 or VP9 video, AAC or MP3 audio.
bool can_write(const AVCodecParameters& params);

// The codec as FLV tags name it: `other` for audio and codecs the writer does not carry; and
// back (AV_CODEC_ID_NONE for `other`).
VideoCodec video_codec_of(AVCodecID codec);
AVCodecID codec_id_of(VideoCodec codec);

// Whether the codec goes out in enhanced RTMP's FourCC tags (a legacy server may refuse them).
bool needs_enhanced_rtmp(AVCodecID codec);

// The onMetaData body (AMF0 name and ECMA array) announcing the session's tracks, the fields
// libavformat's FLV muxer writes for a live stream (no duration, no file size).
std::vector<uint8_t> metadata_body(const AVCodecParameters* video, AVRational frame_rate,
                                   const AVCodecParameters* audio);

// A track's sequence header body from its configuration (extradata): the AVC decoder
// configuration record (built from SPS and PPS when the configuration is in Annex B form), an
// enhanced RTMP SequenceStart with the hvcC, av1C or vpcC record, or the AAC
// AudioSpecificConfig. Empty when the codec has none (MP3) or the configuration is unusable.
std::vector<uint8_t> sequence_header_body(const AVCodecParameters& params);

// A packet's tag body in two parts: the few header bytes, then the media data (the packet's
// own bytes, or `scratch` when Annex B NAL units had to become length-prefixed ones).
struct PacketBody {
  std::array<uint8_t, 8> header{};
  size_t header_size = 0;
  std::span<const uint8_t> data;

  std::span<const uint8_t> header_bytes() const { return {header.data(), header_size}; }
};

PacketBody packet_body(const AVCodecParameters& params, const AVPacket& packet,
                       std::vector<uint8_t>& scratch);

// The end-of-sequence body a session sends for its video before it unpublishes or changes
// codec (AVC's, or enhanced RTMP's SequenceEnd); empty for codecs without one.
std::vector<uint8_t> end_of_sequence_body(const AVCodecParameters& params);

// Whether H.264 data is in Annex B form (start codes) rather than length-prefixed NAL units.
bool is_annex_b(std::span<const uint8_t> data);

}  // namespace streamrelay::media::flv
