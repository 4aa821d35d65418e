#include <gtest/gtest.h>

#include "net/url_masking.h"
#include "task/destination.h"
#include "task/url_rules.h"

using namespace streamrelay::task;

TEST(SourceUrl, AcceptsEveryNetworkSchemeOfTheContract) {
  MediaRoots none;
  for (const char* url : {"rtmp://h/app/s", "rtmps://h:443/app/s", "http://h/x.flv",
                          "https://h/x.m3u8", "srt://h:9000?streamid=x", "rtsp://h:554/s"}) {
    EXPECT_FALSE(check_source_url(url, none).has_value()) << url;
  }
}

TEST(SourceUrl, RefusesOtherSchemesAndNonUrls) {
  MediaRoots none;
  for (const char* url : {"ftp://h/x", "udp://h:1234", "gopher://h", "just text", "rtmp:/h/app", "",
                          "rtmp://", "rtmp://h/app s"}) {
    EXPECT_TRUE(check_source_url(url, none).has_value()) << url;
  }
}

TEST(SourceUrl, FileUrlsOnlyInsideAMediaRoot) {
  MediaRoots roots{{"/srv/media"}, nullptr};
  EXPECT_FALSE(check_source_url("file:///srv/media/a.mp4", roots).has_value());
  EXPECT_FALSE(check_source_url("file:///srv/media/sub/a.mp4", roots).has_value());
  EXPECT_TRUE(check_source_url("file:///srv/media/../etc/passwd", roots).has_value());
  EXPECT_TRUE(check_source_url("file:///srv/mediaX/a.mp4", roots).has_value());
  EXPECT_TRUE(check_source_url("file:///etc/passwd", roots).has_value());
  EXPECT_TRUE(check_source_url("file:///srv/media/a.mp4", MediaRoots{}).has_value());
}

TEST(SourceUrl, LengthIsCountedInCharacters) {
  std::string url = "rtmp://h/app/" + std::string(2048 - 13, 'a');
  EXPECT_FALSE(check_source_url(url, {}).has_value());
  EXPECT_TRUE(check_source_url(url + "a", {}).has_value());
  EXPECT_EQ(char_length("h\xC3\xA9llo"), 5u);
}

TEST(DestinationUrl, NeedsRtmpAppAndStream) {
  EXPECT_FALSE(check_destination_url("rtmp://h/live/s").has_value());
  EXPECT_FALSE(check_destination_url("rtmps://h:443/live/s?k=v").has_value());
  EXPECT_FALSE(check_destination_url("rtmp://b.example.com/live2?backup=1/key").has_value());
  EXPECT_TRUE(check_destination_url("rtmp://h/live?backup=1").has_value());
  EXPECT_TRUE(check_destination_url("rtmp://h/live").has_value());
  EXPECT_TRUE(check_destination_url("rtmp://h/live/").has_value());
  EXPECT_TRUE(check_destination_url("http://h/live/s").has_value());
}

TEST(Domain, AcceptsHostAndHostPort) {
  EXPECT_FALSE(check_domain("publish.example.com").has_value());
  EXPECT_FALSE(check_domain("127.0.0.1:1935").has_value());
  EXPECT_TRUE(check_domain("a b").has_value());
  EXPECT_TRUE(check_domain("h/x").has_value());
  EXPECT_TRUE(check_domain("user@h").has_value());
}

TEST(CallbackUrl, WithoutSchemeMeansHttp) {
  EXPECT_EQ(with_default_scheme("callback.example.com"), "http://callback.example.com");
  EXPECT_EQ(with_default_scheme("https://c.example.com/x"), "https://c.example.com/x");
  EXPECT_FALSE(check_callback_url("callback.example.com").has_value());
  EXPECT_TRUE(check_callback_url("ftp://c.example.com").has_value());
}

TEST(DestinationKey, IgnoresStreamArgumentsCaseAndDefaultPort) {
  TaskSpec a;
  a.destination_url = "rtmp://Host.Example/live/s?x=1";
  TaskSpec b;
  b.domain = "host.example:1935";
  b.app_name = "live";
  b.stream_name = "s";
  b.push_args = "y=2";
  EXPECT_EQ(destination_key(a), destination_key(b));
}

std::string key_of(const std::string& url) {
  TaskSpec spec;
  spec.destination_url = url;
  return destination_key(spec);
}

TEST(DestinationKey, SpellingsOfOneDestinationAreOneKey) {
  std::string victim = key_of("rtmp://ingest.example.com/live/victim");
  EXPECT_EQ(key_of("rtmp://ingest.example.com/live/%76ictim"), victim);
  EXPECT_EQ(key_of("rtmp://ingest.example.com//live//victim/"), victim);
  EXPECT_EQ(key_of("RTMP://INGEST.Example.COM:1935/live/victim"), victim);
  EXPECT_EQ(key_of("rtmp://ingest.example.com./live/victim?token=1"), victim);
  EXPECT_NE(key_of("rtmp://ingest.example.com/live/Victim"), victim);
  EXPECT_NE(key_of("rtmp://ingest.example.com:1936/live/victim"), victim);
  EXPECT_EQ(key_of("rtmps://h/live/k"), key_of("rtmps://h:443/live/k"));
}

TEST(DestinationKey, AnAppWithAQueryKeepsItAndItsStreamName) {
  // YouTube's backup ingest: app "live2?backup=1", stream "key".
  EXPECT_NE(key_of("rtmp://b.example.com/live2?backup=1/key-one"),
            key_of("rtmp://b.example.com/live2?backup=1/key-two"));
  EXPECT_EQ(key_of("rtmp://b.example.com/live2?backup=1/key-one"),
            "rtmp://b.example.com:1935/live2?backup=1/key-one");
}

// Push URLs the big platforms hand out, with their stream keys and auth query strings.
struct PlatformUrl {
  const char* platform;
  const char* url;
  const char* masked;
};

constexpr PlatformUrl kPlatformUrls[] = {
    {"YouTube", "rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl-mnop-qrst",
     "rtmp://a.rtmp.youtube.com/live2/abcd***"},
    {"YouTube backup", "rtmp://b.rtmp.youtube.com/live2?backup=1/abcd-efgh-ijkl-mnop-qrst",
     "rtmp://b.rtmp.youtube.com/live2?backup=1/abcd***"},
    {"Twitch", "rtmp://iad05.contribute.live-video.net/app/live_123456789_AbCdEfGhIjKl",
     "rtmp://iad05.contribute.live-video.net/app/live***"},
    {"Facebook", "rtmps://live-api-s.facebook.com:443/rtmp/FB-1234567890123-0-AbCdEfGhIj",
     "rtmps://live-api-s.facebook.com:443/rtmp/FB-1***"},
    {"Huawei Cloud", "rtmp://push.example.com/live/stream01?hwSecret=0a1b2c3d4e&hwTime=6570f2a0",
     "rtmp://push.example.com/live/st***?hwSecret=***&hwTime=***"},
    {"Tencent Cloud",
     "rtmp://123456.livepush.myqcloud.com/live/stream01?txSecret=0a1b2c3d4e&txTime=6570F2A0",
     "rtmp://123456.livepush.myqcloud.com/live/st***?txSecret=***&txTime=***"},
    {"Alibaba Cloud", "rtmp://push.example.com/app/stream01?auth_key=1701428640-0-0-0a1b2c3d4e",
     "rtmp://push.example.com/app/st***?auth_key=***"},
};

TEST(PlatformUrls, EveryShapeIsAcceptedMaskedAndKeyedByItsStream) {
  for (const PlatformUrl& item : kPlatformUrls) {
    SCOPED_TRACE(item.platform);
    EXPECT_FALSE(check_destination_url(item.url).has_value()) << *check_destination_url(item.url);
    EXPECT_EQ(streamrelay::net::mask_url(item.url), item.masked);
    // Another auth string for the same stream is the same destination.
    std::string url = item.url;
    std::string other =
        url.find('?') != std::string::npos && url.find("backup") == std::string::npos
            ? url.substr(0, url.find('?')) + "?other=1"
            : url;
    EXPECT_EQ(key_of(url), key_of(other));
  }
}
