#include "frame_watch.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include <chrono>
#include <thread>

namespace streamrelay::bench {
namespace {

int past_deadline(void* deadline) {
  return steady_seconds() > *static_cast<double*>(deadline);
}

}  // namespace

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::vector<SeenFrame> watch_frames(const std::string& url, double seconds, size_t enough) {
  std::vector<SeenFrame> frames;
  double stop_at = steady_seconds() + seconds;
  double deadline = stop_at + 5;
  const AVCodec* codec = avcodec_find_decoder(AV_CODEC_ID_H264);
  // A player that joins before the publisher can be told the stream ended at once: it plays
  // again until the time is up.
  while (steady_seconds() < stop_at && frames.size() < enough) {
    AVFormatContext* input = avformat_alloc_context();
    input->interrupt_callback = {past_deadline, &deadline};
    AVDictionary* options = nullptr;
    av_dict_set(&options, "fflags", "nobuffer", 0);
    // Told the format, the reader needs no probe: probing waits for 2 KB, which a low-rate
    // stream's first frames may take 80 ms to fill, and that wait is the reader's, not the relay's.
    int opened = avformat_open_input(&input, url.c_str(), av_find_input_format("flv"), &options);
    av_dict_free(&options);
    if (opened < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    AVCodecContext* decoder = nullptr;
    int video = -1;
    AVPacket* packet = av_packet_alloc();
    AVFrame* frame = av_frame_alloc();
    while (steady_seconds() < stop_at && frames.size() < enough &&
           av_read_frame(input, packet) >= 0) {
      AVStream* stream = input->streams[packet->stream_index];
      if (stream->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
        if (!decoder) {
          video = packet->stream_index;
          decoder = avcodec_alloc_context3(codec);
          avcodec_parameters_to_context(decoder, stream->codecpar);
          decoder->thread_count = 1;
          // The counting sources have no B-frames: each picture comes out as its packet is read,
          // so the times are the stream's, not a decoder's start-up buffering.
          decoder->flags |= AV_CODEC_FLAG_LOW_DELAY;
          avcodec_open2(decoder, codec, nullptr);
        }
        if (packet->stream_index == video && avcodec_send_packet(decoder, packet) >= 0) {
          while (avcodec_receive_frame(decoder, frame) >= 0) {
            frames.push_back({steady_seconds(), frame->width, frame->data[0][0]});
          }
        }
      }
      av_packet_unref(packet);
    }
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&decoder);
    avformat_close_input(&input);
  }
  return frames;
}

}  // namespace streamrelay::bench
