#include "media/av_handles.h"

#include <new>

namespace streamrelay::media {

AvPacketPtr make_packet() {
  AvPacketPtr packet(av_packet_alloc());
  if (!packet) throw std::bad_alloc();
  return packet;
}

AvCodecParametersPtr copy_parameters(const AVCodecParameters& params) {
  AvCodecParametersPtr copy(avcodec_parameters_alloc());
  if (!copy || avcodec_parameters_copy(copy.get(), &params) < 0) throw std::bad_alloc();
  return copy;
}

std::string av_error_text(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof text);
  return text;
}

}  // namespace streamrelay::media
