#pragma once

#include "media/av_handles.h"

namespace streamrelay::media {

// Builds an AAC AudioSpecificConfig from codec parameters (profile, sample rate, channels).
bool write_audio_specific_config(AVCodecParameters& params);

// Sets sample rate and channels from the AudioSpecificConfig in the extradata.
void read_audio_specific_config(AVCodecParameters& params);

// Sets the picture size from the SPS (through libavcodec's H.264 parser on a keyframe).
void read_picture_size(AVCodecParameters& params, const AVPacket* keyframe);

}  // namespace streamrelay::media
