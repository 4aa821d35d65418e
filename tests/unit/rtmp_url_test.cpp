// RTMP URLs split as FFmpeg 5.1's rtmp_open splits them. The app and play path expected here are
// what ffmpeg itself logs ("Proto = rtmp, path = ..., app = ..., fname = ...") for each URL.
#include <gtest/gtest.h>

#include "media/rtmp/rtmp_url.h"

using streamrelay::media::rtmp::parse_rtmp_url;
using streamrelay::media::rtmp::RtmpUrl;

namespace {

struct Split {
  std::string app;
  std::string stream;
};

Split split(const std::string& path) {
  RtmpUrl url = parse_rtmp_url("rtmp://127.0.0.1:19350/" + path);
  return {url.app, url.stream};
}

}  // namespace

TEST(RtmpUrl, TwoSegmentsAreTheAppAndTheStream) {
  Split s = split("live/key");
  EXPECT_EQ(s.app, "live");
  EXPECT_EQ(s.stream, "key");
}

TEST(RtmpUrl, AThirdSegmentMakesTheFirstTwoTheAppAndItsInstance) {
  Split s = split("app/inst/stream");
  EXPECT_EQ(s.app, "app/inst");
  EXPECT_EQ(s.stream, "stream");
}

TEST(RtmpUrl, BeyondThreeSegmentsTheRestIsTheStream) {
  Split s = split("a/b/c/d");
  EXPECT_EQ(s.app, "a/b");
  EXPECT_EQ(s.stream, "c/d");
}

TEST(RtmpUrl, AColonInTheSecondSegmentMakesItTheStream) {
  Split s = split("app/mp4:file/x");
  EXPECT_EQ(s.app, "app");
  EXPECT_EQ(s.stream, "mp4:file/x");
}

TEST(RtmpUrl, AColonAfterTheSecondSlashDoesNotCount) {
  Split s = split("app/inst/mp4:file");
  EXPECT_EQ(s.app, "app/inst");
  EXPECT_EQ(s.stream, "mp4:file");
}

TEST(RtmpUrl, AQueryBeforeTheLastSlashBelongsToTheApp) {
  Split s = split("live2?backup=1/key");  // YouTube's backup ingest
  EXPECT_EQ(s.app, "live2?backup=1");
  EXPECT_EQ(s.stream, "key");
}

TEST(RtmpUrl, AQueryAfterTheStreamBelongsToTheStream) {
  Split s = split("live/key?token=x");
  EXPECT_EQ(s.app, "live");
  EXPECT_EQ(s.stream, "key?token=x");
}

TEST(RtmpUrl, ASlashInTheQueryCountsAsASegment) {
  Split s = split("live/key?next=/a");
  EXPECT_EQ(s.app, "live/key?next=");
  EXPECT_EQ(s.stream, "a");
}

TEST(RtmpUrl, OneSegmentIsTheAppWithNoStream) {
  Split s = split("live");
  EXPECT_EQ(s.app, "live");
  EXPECT_EQ(s.stream, "");
}

TEST(RtmpUrl, FlvFilesLoseTheirExtensionAndMp4FilesGetThePrefix) {
  EXPECT_EQ(split("live/key.flv").stream, "key");
  EXPECT_EQ(split("live/key.mp4").stream, "mp4:key.mp4");
  EXPECT_EQ(split("live/key.f4v").stream, "mp4:key.f4v");
  EXPECT_EQ(split("live/mp4:key.mp4").stream, "mp4:key.mp4");
  EXPECT_EQ(split("live/key.mp4?t=1").stream, "key.mp4?t=1");
}

TEST(RtmpUrl, AnSlistParameterNamesTheStreamAndTheWholePathIsTheApp) {
  Split s = split("live?slist=abc&x=1");
  EXPECT_EQ(s.app, "live?slist=abc&x=1");
  EXPECT_EQ(s.stream, "abc");
  Split first = split("live/slist=a?slist=b&q");  // the first "slist=" in the path wins
  EXPECT_EQ(first.app, "live/slist=a?slist=b&q");
  EXPECT_EQ(first.stream, "a?slist=b");
}

TEST(RtmpUrl, OnDemandIsAnAppOfItsOwn) {
  Split s = split("ondemand/foo/bar");
  EXPECT_EQ(s.app, "ondemand");
  EXPECT_EQ(s.stream, "foo/bar");
}

TEST(RtmpUrl, TheTcUrlIsSchemeHostPortAndApp) {
  EXPECT_EQ(parse_rtmp_url("rtmp://h:1935/live2?backup=1/key").tc_url,
            "rtmp://h:1935/live2?backup=1");
  EXPECT_EQ(parse_rtmp_url("rtmp://h/app/inst/stream").tc_url, "rtmp://h/app/inst");
  EXPECT_EQ(parse_rtmp_url("rtmp://h:01935/live/key").tc_url, "rtmp://h:1935/live");
}

TEST(RtmpUrl, HostPortAndCredentialsAreTakenApart) {
  RtmpUrl url = parse_rtmp_url("rtmp://user:pass@example.com:1936/live/key");
  EXPECT_EQ(url.credentials, "user:pass");
  EXPECT_EQ(url.host, "example.com");
  EXPECT_EQ(url.port, 1936);
  EXPECT_EQ(url.tc_url, "rtmp://example.com:1936/live");
  EXPECT_EQ(parse_rtmp_url("rtmp://example.com/live/key").port, -1);
}

TEST(RtmpUrl, AnIpv6LiteralKeepsItsBracketsInTheTcUrlOnly) {
  RtmpUrl url = parse_rtmp_url("rtmp://[::1]:1935/live/key");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 1935);
  EXPECT_EQ(url.tc_url, "rtmp://[::1]:1935/live");
}

TEST(RtmpUrl, AQueryRightAfterTheHostStartsThePath) {
  RtmpUrl url = parse_rtmp_url("rtmp://h?x=1/live/key");
  EXPECT_EQ(url.host, "h");
  EXPECT_EQ(url.path, "?x=1/live/key");
  EXPECT_EQ(url.app, "x=1/live");
  EXPECT_EQ(url.stream, "key");
}
