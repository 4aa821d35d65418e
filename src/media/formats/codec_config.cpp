#include "media/formats/codec_config.h"

extern "C" {
#include <libavutil/channel_layout.h>
}

namespace streamrelay::media {
namespace {

// The sampling frequencies an AudioSpecificConfig can name by index (ISO 14496-3, 1.6.3.4).
constexpr int kAacSampleRates[] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                   22050, 16000, 12000, 11025, 8000,  7350};

}  // namespace

// Hand-built because FFmpeg offers no public call that makes an AudioSpecificConfig from codec
// parameters: 5 bits object type, 4 bits frequency index, 4 bits channels, 3 bits zero.
bool write_audio_specific_config(AVCodecParameters& params) {
  int index = -1;
  for (int i = 0; i < 13; ++i) {
    if (kAacSampleRates[i] == params.sample_rate) index = i;
  }
  int channels = params.ch_layout.nb_channels;
  if (index < 0 || channels < 1 || channels > 7) return false;
  int object_type = params.profile >= 0 ? params.profile + 1 : 2;  // default: AAC LC
  auto* config = static_cast<uint8_t*>(av_mallocz(2 + AV_INPUT_BUFFER_PADDING_SIZE));
  if (!config) return false;
  config[0] = static_cast<uint8_t>((object_type << 3) | (index >> 1));
  config[1] = static_cast<uint8_t>(((index & 1) << 7) | (channels << 3));
  av_freep(&params.extradata);
  params.extradata = config;
  params.extradata_size = 2;
  return true;
}

// The same fields read back (ISO 14496-3, 1.6.2.1); FFmpeg's parser for it is not public.
void read_audio_specific_config(AVCodecParameters& params) {
  if (params.codec_id != AV_CODEC_ID_AAC || params.extradata_size < 2) return;
  const uint8_t* config = params.extradata;
  int index = ((config[0] & 0x07) << 1) | (config[1] >> 7);
  int channels = (config[1] >> 3) & 0x0F;
  if (index < 13) params.sample_rate = kAacSampleRates[index];
  if (channels >= 1 && channels <= 7) {
    av_channel_layout_uninit(&params.ch_layout);
    av_channel_layout_default(&params.ch_layout, channels);
  }
}

void read_picture_size(AVCodecParameters& params, const AVPacket* keyframe) {
  if (!keyframe || params.extradata_size <= 0) return;
  AVCodecParserContext* parser = av_parser_init(AV_CODEC_ID_H264);
  AVCodecContext* context = avcodec_alloc_context3(nullptr);
  if (parser && context && avcodec_parameters_to_context(context, &params) >= 0) {
    uint8_t* out = nullptr;
    int out_size = 0;
    av_parser_parse2(parser, context, &out, &out_size, keyframe->data, keyframe->size,
                     AV_NOPTS_VALUE, AV_NOPTS_VALUE, 0);
    if (parser->width > 0 && parser->height > 0) {
      params.width = parser->width;
      params.height = parser->height;
    }
  }
  avcodec_free_context(&context);
  if (parser) av_parser_close(parser);
}

}  // namespace streamrelay::media
