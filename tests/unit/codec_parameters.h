#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "media/av_handles.h"

namespace streamrelay::media::test {

// Codec parameters of one track, with its configuration (extradata) when given.
inline AvCodecParametersPtr parameters(AVMediaType type, AVCodecID codec,
                                       const std::vector<uint8_t>& extradata = {}) {
  AvCodecParametersPtr params(avcodec_parameters_alloc());
  params->codec_type = type;
  params->codec_id = codec;
  if (!extradata.empty()) {
    params->extradata =
        static_cast<uint8_t*>(av_mallocz(extradata.size() + AV_INPUT_BUFFER_PADDING_SIZE));
    std::copy(extradata.begin(), extradata.end(), params->extradata);
    params->extradata_size = static_cast<int>(extradata.size());
  }
  return params;
}

}  // namespace streamrelay::media::test
