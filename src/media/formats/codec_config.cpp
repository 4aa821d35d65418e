#include "media/formats/codec_config.h"

#include <algorithm>
#include <cstring>
#include <span>

#include "media/big_endian.h"

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
}

namespace streamrelay::media {
namespace {

// The sampling frequencies an AudioSpecificConfig can name by index (ISO 14496-3, 1.6.3.4).
constexpr int kAacSampleRates[] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                   22050, 16000, 12000, 11025, 8000,  7350};

// The box type libavformat's MP4 muxer stores a codec's configuration record in.
const char* record_box(AVCodecID codec) {
  switch (codec) {
    case AV_CODEC_ID_HEVC:
      return "hvcC";
    case AV_CODEC_ID_AV1:
      return "av1C";
    case AV_CODEC_ID_VP9:
      return "vpcC";
    default:
      return nullptr;
  }
}

// Whether the configuration already is the record: hvcC's version 1, av1C's marker and version,
// vpcC's version 1 with zero flags (Matroska's VP9 features start with an id of 1 and a length).
bool is_record(AVCodecID codec, std::span<const uint8_t> config) {
  switch (codec) {
    case AV_CODEC_ID_HEVC:
      return config.size() >= 23 && config[0] == 1;
    case AV_CODEC_ID_AV1:
      return config.size() >= 4 && config[0] == 0x81;
    case AV_CODEC_ID_VP9:
      return config.size() >= 12 && config[0] == 1 && config[1] == 0 && config[2] == 0 &&
             config[3] == 0;
    default:
      return false;
  }
}

// The contents of the first box of type `type` in ISO BMFF bytes.
std::vector<uint8_t> find_box(std::span<const uint8_t> bytes, const char* type) {
  for (size_t at = 4; at + 4 <= bytes.size(); ++at) {
    if (std::memcmp(&bytes[at], type, 4) != 0) continue;
    auto size = static_cast<size_t>(read_be(&bytes[at - 4], 4));
    if (size < 8 || at - 4 + size > bytes.size()) continue;
    return {bytes.begin() + static_cast<long>(at + 4),
            bytes.begin() + static_cast<long>(at - 4 + size)};
  }
  return {};
}

}  // namespace

std::vector<uint8_t> configuration_record(const AVCodecParameters& params) {
  const char* box = record_box(params.codec_id);
  if (!box) return {};
  std::span<const uint8_t> config(params.extradata,
                                  static_cast<size_t>(std::max(params.extradata_size, 0)));
  if (is_record(params.codec_id, config)) return {config.begin(), config.end()};
  if (config.empty() && params.codec_id != AV_CODEC_ID_VP9) return {};
  // The record's rules (profile, tier, level and arrays from the parameter sets) are libavformat's
  // MP4 muxer's: it writes a fragmented file's header, and the record is read from its box.
  AVFormatContext* raw = nullptr;
  if (avformat_alloc_output_context2(&raw, nullptr, "mp4", nullptr) < 0 || !raw) return {};
  AvOutputPtr output(raw);
  AVStream* stream = avformat_new_stream(raw, nullptr);
  if (!stream || avcodec_parameters_copy(stream->codecpar, &params) < 0) return {};
  stream->codecpar->codec_tag = 0;
  stream->time_base = {1, 1000};
  // The muxer wants a picture size; the records take theirs from the parameter sets.
  if (stream->codecpar->width <= 0 || stream->codecpar->height <= 0) {
    stream->codecpar->width = 16;
    stream->codecpar->height = 16;
  }
  if (avio_open_dyn_buf(&raw->pb) < 0) return {};
  AvOptions options;
  options.set("movflags", "empty_moov+frag_keyframe");
  int rc = avformat_write_header(raw, options.ptr());
  if (rc >= 0) avio_flush(raw->pb);
  uint8_t* bytes = nullptr;
  int size = avio_close_dyn_buf(raw->pb, &bytes);
  raw->pb = nullptr;
  std::vector<uint8_t> record;
  if (rc >= 0 && size > 0) record = find_box({bytes, static_cast<size_t>(size)}, box);
  av_free(bytes);
  return record;
}

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
  AVCodecParserContext* parser = av_parser_init(params.codec_id);
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
