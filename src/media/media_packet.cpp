#include "media/media_packet.h"

#include <cstring>

namespace streamrelay::media {

std::shared_ptr<const AVCodecParameters> share_parameters(const AVCodecParameters& params) {
  AvCodecParametersPtr copy = copy_parameters(params);
  return std::shared_ptr<const AVCodecParameters>(copy.release(), [](const AVCodecParameters* p) {
    auto* owned = const_cast<AVCodecParameters*>(p);
    avcodec_parameters_free(&owned);
  });
}

bool is_same_codec(const AVCodecParameters& a, const AVCodecParameters& b) {
  return a.codec_type == b.codec_type && a.codec_id == b.codec_id;
}

bool is_same_extradata(const AVCodecParameters& a, const AVCodecParameters& b) {
  return a.extradata_size == b.extradata_size &&
         (a.extradata_size == 0 || std::memcmp(a.extradata, b.extradata, a.extradata_size) == 0);
}

}  // namespace streamrelay::media
