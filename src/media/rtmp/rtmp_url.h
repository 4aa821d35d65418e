#pragma once

#include <string>
#include <string_view>

namespace streamrelay::media::rtmp {

// An rtmp:// URL taken apart the way libavformat's RTMP client (FFmpeg 5.1, rtmp_open over
// av_url_split) takes it apart, so a server sees the same connect and publish or play from us
// as from ffmpeg for every URL a user brings.
struct RtmpUrl {
  std::string scheme;
  std::string credentials;  // "user[:password]" before an '@'; empty when none
  std::string host;         // without the brackets of an IPv6 literal
  int port = -1;            // -1 when the URL names none
  std::string path;         // from the first '/', '?' or '#' after the host, query included
  std::string app;          // sent in connect
  std::string stream;       // the play path, sent in publish or play
  std::string tc_url;       // scheme://host[:port]/app, sent in connect
};

// Never fails: what the URL lacks stays empty, as it does in libavformat.
RtmpUrl parse_rtmp_url(std::string_view url);

}  // namespace streamrelay::media::rtmp
