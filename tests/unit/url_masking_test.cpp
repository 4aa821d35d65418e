#include <gtest/gtest.h>

#include "net/url_masking.h"

using namespace streamrelay::net;

TEST(UrlMasking, UserInfoIsHidden) {
  EXPECT_EQ(mask_url("rtsp://admin:hunter22@cam.example.com/stream1"),
            "rtsp://***@cam.example.com/stream1");
}

TEST(UrlMasking, EveryQueryValueIsHiddenUnlessItsNameIsHarmless) {
  EXPECT_EQ(mask_url("http://h/live/a.flv?sig=abcdef&pass=x1&hdnts=exp~hmac&x=1"),
            "http://h/live/a.flv?sig=***&pass=***&hdnts=***&x=***");
  EXPECT_EQ(mask_url("srt://h:9000?streamid=#!::r=live/key&mode=caller&latency=200"),
            "srt://h:9000?streamid=***&mode=caller&latency=200");
  // Percent-encoded names are judged by what they decode to; a bare item is a value.
  EXPECT_EQ(mask_url("http://h/a.m3u8?%74oken=abc&%6Dode=caller&opaque-token"),
            "http://h/a.m3u8?%74oken=***&%6Dode=caller&***");
}

TEST(UrlMasking, TheRtmpStreamNameKeepsOnlyAShortPrefix) {
  EXPECT_EQ(mask_url("rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl-mnop"),
            "rtmp://a.rtmp.youtube.com/live2/abcd***");
  EXPECT_EQ(mask_url("rtmp://h/live/demo"), "rtmp://h/live/d***");
  // The stream is split off as libavformat splits it: the app may take two segments.
  EXPECT_EQ(mask_url("rtmps://h:443/app/inst/sk-12345?token=t0p&vhost=v"),
            "rtmps://h:443/app/inst/sk***?token=***&vhost=v");
  EXPECT_EQ(mask_url("rtmp://h/a/b/key/more"), "rtmp://h/a/b/ke***");
  // YouTube's backup form: the stream name follows the app's query.
  EXPECT_EQ(mask_url("rtmp://b.rtmp.youtube.com/live2?backup=1/abcd-efgh-ijkl"),
            "rtmp://b.rtmp.youtube.com/live2?backup=1/abcd***");
}

TEST(UrlMasking, FilesAndHttpPathsStayReadable) {
  EXPECT_EQ(mask_url("https://cdn.example.com/show/episode1.mp4"),
            "https://cdn.example.com/show/episode1.mp4");
  EXPECT_EQ(mask_url("file:///srv/media/a.mp4"), "file:///srv/media/a.mp4");
}

TEST(UrlMasking, SecretsAreRedactedFromFreeText) {
  std::string url = "rtmp://h/live/sk-live-9f8e7d?auth=T0KEN-123";
  EXPECT_EQ(redact_url_secrets("publish sk-live-9f8e7d refused (auth T0KEN-123)", url),
            "publish *** refused (auth ***)");
  EXPECT_EQ(redact_url_secrets("stream sk%2Dlive refused", "rtmp://h/live/sk%2Dlive"),
            "stream *** refused");
  EXPECT_EQ(redact_url_secrets("nothing to hide", url), "nothing to hide");
}

TEST(UrlMasking, UrlsInsideALogLineAreMasked) {
  EXPECT_EQ(mask_urls_in("Opening 'http://h/s.ts?token=abc' for reading"),
            "Opening 'http://h/s.ts?token=***' for reading");
  EXPECT_EQ(mask_urls_in("Connection to tcp://h:1935 failed; rtmp://h/live/sk-abcdefgh next"),
            "Connection to tcp://h:1935 failed; rtmp://h/live/sk-*** next");
}
