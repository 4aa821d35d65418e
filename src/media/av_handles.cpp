#include "media/av_handles.h"

#include <new>
#include <vector>

namespace streamrelay::media {

namespace {

constexpr size_t kReusedPackets = 256;

struct FreedPackets {
  std::vector<AVPacket*> packets;
  ~FreedPackets() {
    for (AVPacket* packet : packets) av_packet_free(&packet);
  }
};

thread_local FreedPackets freed_packets;

}  // namespace

void PacketDeleter::operator()(AVPacket* packet) const {
  if (freed_packets.packets.size() < kReusedPackets) {
    av_packet_unref(packet);  // back to a new packet's state
    freed_packets.packets.push_back(packet);
    return;
  }
  av_packet_free(&packet);
}

AvPacketPtr make_packet() {
  if (!freed_packets.packets.empty()) {
    AvPacketPtr packet(freed_packets.packets.back());
    freed_packets.packets.pop_back();
    return packet;
  }
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
