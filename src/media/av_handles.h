#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
}

#include <memory>
#include <string>

namespace streamrelay::media {

// RAII owners for the FFmpeg handles the data plane uses, made the moment a handle exists.
// A freed packet's struct is kept for reuse by its thread (see make_packet()).
struct PacketDeleter {
  void operator()(AVPacket* packet) const;
};
using AvPacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;

struct CodecParametersDeleter {
  void operator()(AVCodecParameters* params) const { avcodec_parameters_free(&params); }
};
using AvCodecParametersPtr = std::unique_ptr<AVCodecParameters, CodecParametersDeleter>;

struct InputContextDeleter {
  void operator()(AVFormatContext* context) const { avformat_close_input(&context); }
};
using AvInputPtr = std::unique_ptr<AVFormatContext, InputContextDeleter>;

struct OutputContextDeleter {
  void operator()(AVFormatContext* context) const {
    if (context->pb && !(context->oformat->flags & AVFMT_NOFILE)) avio_closep(&context->pb);
    avformat_free_context(context);
  }
};
using AvOutputPtr = std::unique_ptr<AVFormatContext, OutputContextDeleter>;

struct DictionaryDeleter {
  void operator()(AVDictionary* dict) const { av_dict_free(&dict); }
};

// An AVDictionary that frees itself; pass `ptr()` where FFmpeg wants AVDictionary**.
class AvOptions {
 public:
  AvOptions() = default;
  AvOptions(const AvOptions&) = delete;
  AvOptions& operator=(const AvOptions&) = delete;
  ~AvOptions() { av_dict_free(&dict_); }
  void set(const char* key, const std::string& value) {
    av_dict_set(&dict_, key, value.c_str(), 0);
  }
  AVDictionary** ptr() { return &dict_; }

 private:
  AVDictionary* dict_ = nullptr;
};

// An empty packet. Relays make and free one per packet they carry: freed packets are reused on
// the thread that freed them (a few hundred at most), av_packet_alloc's aligned allocation was a
// steady share of a relay's CPU.
AvPacketPtr make_packet();
AvCodecParametersPtr copy_parameters(const AVCodecParameters& params);

// FFmpeg's text for an error code.
std::string av_error_text(int code);

}  // namespace streamrelay::media
