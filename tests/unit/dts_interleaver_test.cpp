#include <gtest/gtest.h>

#include "media/timeline/dts_interleaver.h"

using namespace streamrelay::media;

namespace {

MediaPacket packet_at(TrackKind track, int64_t dts) {
  MediaPacket packet;
  packet.packet = make_packet();
  packet.packet->dts = packet.packet->pts = dts;
  packet.track = track;
  return packet;
}

std::vector<int64_t> pop_all(DtsInterleaver& interleaver) {
  std::vector<int64_t> out;
  while (auto packet = interleaver.pop()) out.push_back(packet->dts());
  return out;
}

}  // namespace

TEST(DtsInterleaver, GivenATrackStoredAheadItsPacketsWaitForTheOther) {
  DtsInterleaver interleaver;
  interleaver.begin(true, true);
  for (int64_t t = 0; t < 1000; t += 40) interleaver.push(packet_at(TrackKind::video, t));
  EXPECT_TRUE(pop_all(interleaver).empty());  // no audio yet: nothing may go
  interleaver.push(packet_at(TrackKind::audio, 0));
  interleaver.push(packet_at(TrackKind::audio, 23));
  auto released = pop_all(interleaver);
  ASSERT_FALSE(released.empty());
  EXPECT_EQ(released.front(), 0);
  for (size_t i = 1; i < released.size(); ++i) EXPECT_LE(released[i - 1], released[i]);
}

TEST(DtsInterleaver, AFileWithoutAudioIsNotHeldBack) {
  DtsInterleaver interleaver;
  interleaver.begin(true, false);
  interleaver.push(packet_at(TrackKind::video, 0));
  EXPECT_EQ(pop_all(interleaver).size(), 1u);
}

TEST(DtsInterleaver, BeyondTheWindowPacketsGoEvenIfATrackIsSilent) {
  DtsInterleaver interleaver;
  interleaver.begin(true, true);
  for (int64_t t = 0; t <= DtsInterleaver::kWindowMs + 40; t += 40) {
    interleaver.push(packet_at(TrackKind::video, t));
  }
  EXPECT_FALSE(pop_all(interleaver).empty());
}

TEST(DtsInterleaver, DrainReturnsTheRestInOrder) {
  DtsInterleaver interleaver;
  interleaver.begin(true, true);
  interleaver.push(packet_at(TrackKind::video, 40));
  interleaver.push(packet_at(TrackKind::audio, 10));
  interleaver.push(packet_at(TrackKind::audio, 60));
  std::vector<int64_t> out;
  while (auto packet = interleaver.drain()) out.push_back(packet->dts());
  EXPECT_EQ(out, (std::vector<int64_t>{10, 40, 60}));
}
