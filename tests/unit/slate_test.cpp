#include <gtest/gtest.h>

#include <thread>

#include "media/timeline/slate.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
}

using namespace streamrelay::media;

namespace {

TrackConfig video_track(int width, int height) {
  AvCodecParametersPtr params(avcodec_parameters_alloc());
  params->codec_type = AVMEDIA_TYPE_VIDEO;
  params->codec_id = AV_CODEC_ID_H264;
  params->width = width;
  params->height = height;
  params->profile = FF_PROFILE_H264_HIGH;
  return TrackConfig{TrackKind::video, share_parameters(*params), {25, 1}};
}

TrackConfig audio_track(int sample_rate) {
  AvCodecParametersPtr params(avcodec_parameters_alloc());
  params->codec_type = AVMEDIA_TYPE_AUDIO;
  params->codec_id = AV_CODEC_ID_AAC;
  params->sample_rate = sample_rate;
  av_channel_layout_default(&params->ch_layout, 2);
  return TrackConfig{TrackKind::audio, share_parameters(*params), {0, 1}};
}

SegmentInfo segment(int width, int height, int sample_rate) {
  SegmentInfo like;
  like.video = video_track(width, height);
  like.audio = audio_track(sample_rate);
  return like;
}

// What a relay does: the cached slate, or its own encode handed to the cache.
std::optional<Slate> slate_for(SlateCache& cache, const SegmentInfo& like, int& encodes) {
  std::string key = Slate::key_of(like);
  std::optional<Slate> slate;
  for (;;) {
    switch (cache.find_or_claim(key, slate)) {
      case SlateCache::Claim::kReady:
        return slate;
      case SlateCache::Claim::kMine:
        ++encodes;
        slate = Slate::make(like);
        cache.finish(key, slate);
        return slate;
      case SlateCache::Claim::kBusy:
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        break;
    }
  }
}

}  // namespace

TEST(Slate, RelaysOfOneConfigurationShareOneEncodeAndEachHasItsOwnTimeline) {
  SlateCache cache;
  int encodes = 0;
  // Two relays of one source: equal configurations, each its own parameters object.
  std::optional<Slate> first = slate_for(cache, segment(320, 240, 44100), encodes);
  std::optional<Slate> second = slate_for(cache, segment(320, 240, 44100), encodes);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(encodes, 1);
  EXPECT_EQ(first->segment(), second->segment());
  // Each copy keeps its own timeline over the same packets.
  auto a = first->next(0);
  for (int i = 0; i < 10; ++i) second->next(1000);
  auto b = first->next(0);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->packet->dts, 0);
  EXPECT_EQ(b->packet->dts, 0) << "the other copy's packets moved this one's timeline";
  EXPECT_NE(a->track, b->track) << "video then audio at 0 ms";
  second->rewind();
  auto c = second->next(0);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->packet->data, a->packet->data) << "not the same encoded picture";
}

TEST(Slate, ADifferentSizeOrSampleRateGetsItsOwnSlate) {
  SlateCache cache;
  int encodes = 0;
  std::optional<Slate> small = slate_for(cache, segment(320, 240, 44100), encodes);
  std::optional<Slate> large = slate_for(cache, segment(640, 360, 44100), encodes);
  std::optional<Slate> other_rate = slate_for(cache, segment(320, 240, 48000), encodes);
  ASSERT_TRUE(small && large && other_rate);
  EXPECT_EQ(encodes, 3);
  EXPECT_EQ(large->segment()->video->params->width, 640);
  EXPECT_EQ(other_rate->segment()->audio->params->sample_rate, 48000);
  EXPECT_EQ(small->segment()->video->params->width, 320);
}

TEST(Slate, WhileOneRelayEncodesTheOthersWaitForItsSlate) {
  SlateCache cache;
  SegmentInfo like = segment(320, 240, 44100);
  std::string key = Slate::key_of(like);
  std::optional<Slate> slate;
  ASSERT_EQ(cache.find_or_claim(key, slate), SlateCache::Claim::kMine);
  EXPECT_EQ(cache.find_or_claim(key, slate), SlateCache::Claim::kBusy);
  cache.finish(key, Slate::make(like));
  EXPECT_EQ(cache.find_or_claim(key, slate), SlateCache::Claim::kReady);
  EXPECT_TRUE(slate.has_value());
  // One that could not be encoded is remembered as such, not tried by every relay again.
  SegmentInfo nothing;
  std::string none = Slate::key_of(nothing);
  ASSERT_EQ(cache.find_or_claim(none, slate), SlateCache::Claim::kMine);
  cache.finish(none, Slate::make(nothing));
  slate.reset();
  EXPECT_EQ(cache.find_or_claim(none, slate), SlateCache::Claim::kReady);
  EXPECT_FALSE(slate.has_value());
  // A claimant that failed with an exception gives its claim up: the next one encodes.
  SegmentInfo other = segment(640, 480, 44100);
  std::string abandoned = Slate::key_of(other);
  ASSERT_EQ(cache.find_or_claim(abandoned, slate), SlateCache::Claim::kMine);
  cache.abandon(abandoned);
  EXPECT_EQ(cache.find_or_claim(abandoned, slate), SlateCache::Claim::kMine);
}

TEST(Slate, ManyThreadsAskingAtOnceEncodeOnce) {
  SlateCache cache;
  std::atomic<int> encodes{0};
  std::vector<std::thread> relays;
  std::atomic<int> with_slate{0};
  for (int i = 0; i < 16; ++i) {
    relays.emplace_back([&] {
      int mine = 0;
      if (slate_for(cache, segment(320, 240, 44100), mine)) ++with_slate;
      encodes += mine;
    });
  }
  for (auto& relay : relays) relay.join();
  EXPECT_EQ(encodes, 1);
  EXPECT_EQ(with_slate, 16);
}

// Black pictures in each codec the writer carries, checked on the pictures: the slate's packets
// decoded by FFmpeg's decoders, every one black (luma 16) at the session's size.
TEST(Slate, EveryVideoCodecGetsBlackPicturesInItsOwnCodec) {
  struct Case {
    AVCodecID codec;
    const char* decoder;
  };
  for (const Case& item : {Case{AV_CODEC_ID_H264, "h264"}, Case{AV_CODEC_ID_HEVC, "hevc"},
                           Case{AV_CODEC_ID_AV1, "libdav1d"}, Case{AV_CODEC_ID_VP9, "vp9"}}) {
    SCOPED_TRACE(item.decoder);
    SegmentInfo like;
    like.video = video_track(160, 120);
    AvCodecParametersPtr params = copy_parameters(*like.video->params);
    params->codec_id = item.codec;
    params->profile = FF_PROFILE_UNKNOWN;
    like.video->params = share_parameters(*params);
    like.frame_duration_ms = 40;
    auto slate = Slate::make(like);
    ASSERT_TRUE(slate);
    ASSERT_TRUE(slate->segment()->video);
    const AVCodecParameters& made = *slate->segment()->video->params;
    EXPECT_EQ(made.codec_id, item.codec);
    const AVCodec* codec = avcodec_find_decoder_by_name(item.decoder);
    ASSERT_TRUE(codec);
    AVCodecContext* decoder = avcodec_alloc_context3(codec);
    ASSERT_GE(avcodec_parameters_to_context(decoder, &made), 0);
    ASSERT_EQ(avcodec_open2(decoder, codec, nullptr), 0);
    AVFrame* picture = av_frame_alloc();
    int pictures = 0;
    int bright = 0;
    auto take = [&] {
      while (avcodec_receive_frame(decoder, picture) == 0) {
        ++pictures;
        EXPECT_EQ(picture->width, 160);
        EXPECT_EQ(picture->height, 120);
        for (int y = 0; y < picture->height; ++y) {
          for (int x = 0; x < picture->width; ++x) {
            bright += picture->data[0][y * picture->linesize[0] + x] > 20;
          }
        }
      }
    };
    int packets = 0;
    bool first_is_key = false;
    while (auto packet = slate->next(2000)) {
      if (packet->track != TrackKind::video) continue;
      if (packets++ == 0) first_is_key = packet->is_keyframe;
      ASSERT_EQ(avcodec_send_packet(decoder, packet->packet.get()), 0);
      take();
    }
    avcodec_send_packet(decoder, nullptr);
    take();
    EXPECT_TRUE(first_is_key);
    EXPECT_GE(packets, 50);  // two seconds at 25 frames a second: the loop repeats
    EXPECT_EQ(pictures, packets) << "every slate packet decodes to a picture";
    EXPECT_EQ(bright, 0) << "pixels brighter than black";
    av_frame_free(&picture);
    avcodec_free_context(&decoder);
  }
}
