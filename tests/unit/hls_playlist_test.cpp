#include <gtest/gtest.h>

#include "media/formats/hls_playlist.h"

using streamrelay::media::read_hls_playlist;
using streamrelay::media::resolve_hls_uri;

TEST(HlsPlaylist, GivenALiveMediaPlaylistItReadsItsTargetDuration) {
  auto facts = read_hls_playlist(
      "#EXTM3U\r\n#EXT-X-VERSION:3\r\n#EXT-X-TARGETDURATION:6\r\n#EXT-X-MEDIA-SEQUENCE:12\r\n"
      "#EXTINF:6.000000,\r\nlive12.ts\r\n#EXTINF:6.000000,\r\nlive13.ts\r\n");
  ASSERT_TRUE(facts.target_duration_ms);
  EXPECT_EQ(*facts.target_duration_ms, 6000);
  EXPECT_FALSE(facts.has_ended);
  EXPECT_TRUE(facts.first_variant_uri.empty());
}

TEST(HlsPlaylist, ADecimalTargetDurationIsReadToo) {
  auto facts = read_hls_playlist("#EXTM3U\n#EXT-X-TARGETDURATION:2.5\n");
  ASSERT_TRUE(facts.target_duration_ms);
  EXPECT_EQ(*facts.target_duration_ms, 2500);
}

TEST(HlsPlaylist, ANonPositiveOrMalformedTargetDurationIsUnknown) {
  EXPECT_FALSE(read_hls_playlist("#EXT-X-TARGETDURATION:0\n").target_duration_ms);
  EXPECT_FALSE(read_hls_playlist("#EXT-X-TARGETDURATION:six\n").target_duration_ms);
  EXPECT_FALSE(read_hls_playlist("#EXT-X-TARGETDURATION:-4\n").target_duration_ms);
}

TEST(HlsPlaylist, AFinishedPlaylistSaysSo) {
  auto facts = read_hls_playlist(
      "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\na.ts\n"
      "#EXT-X-ENDLIST\n");
  EXPECT_TRUE(facts.has_ended);
}

TEST(HlsPlaylist, GivenAMasterPlaylistItNamesTheFirstVariant) {
  auto facts = read_hls_playlist(
      "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\n\nlow/index.m3u8\n"
      "#EXT-X-STREAM-INF:BANDWIDTH=3000000\nhigh/index.m3u8\n");
  EXPECT_FALSE(facts.target_duration_ms);
  EXPECT_EQ(facts.first_variant_uri, "low/index.m3u8");
}

TEST(HlsPlaylist, AVariantUriIsResolvedAgainstThePlaylistUrl) {
  EXPECT_EQ(resolve_hls_uri("http://h:8080/a/b/live.m3u8?token=1", "low/index.m3u8"),
            "http://h:8080/a/b/low/index.m3u8");
  EXPECT_EQ(resolve_hls_uri("http://h/a/live.m3u8", "/other/index.m3u8"),
            "http://h/other/index.m3u8");
  EXPECT_EQ(resolve_hls_uri("http://h/a/live.m3u8", "https://cdn/x.m3u8"), "https://cdn/x.m3u8");
  EXPECT_EQ(resolve_hls_uri("http://h", "index.m3u8"), "http://h/index.m3u8");
  EXPECT_EQ(resolve_hls_uri("/media/live/live.m3u8", "v0.m3u8"), "/media/live/v0.m3u8");
}
