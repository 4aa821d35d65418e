#pragma once

#include <cstdint>
#include <vector>

#include "media/av_handles.h"

namespace streamrelay::media {

// Builds an AAC AudioSpecificConfig from codec parameters (profile, sample rate, channels).
bool write_audio_specific_config(AVCodecParameters& params);

// Sets sample rate and channels from the AudioSpecificConfig in the extradata.
void read_audio_specific_config(AVCodecParameters& params);

// Sets the picture size from the keyframe's sequence parameters (through libavcodec's parser
// for the codec: H.264, HEVC, AV1).
void read_picture_size(AVCodecParameters& params, const AVPacket* keyframe);

// The decoder configuration record of an HEVC, AV1 or VP9 track (hvcC, av1C, vpcC as ISO BMFF
// stores them, and enhanced RTMP's sequence start carries them), from its configuration in
// whatever form the source gave it (a record already, Annex B parameter sets, Matroska's);
// empty when there is none to make.
std::vector<uint8_t> configuration_record(const AVCodecParameters& params);

}  // namespace streamrelay::media
