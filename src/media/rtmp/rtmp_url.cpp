#include "media/rtmp/rtmp_url.h"

#include <optional>

namespace streamrelay::media::rtmp {
namespace {

constexpr size_t npos = std::string_view::npos;

// atoi's reading of a port: an optional sign, then digits up to the first other character.
int leading_number(std::string_view text) {
  size_t at = 0;
  bool is_negative = false;
  if (at < text.size() && (text[at] == '-' || text[at] == '+')) is_negative = text[at++] == '-';
  long value = 0;
  for (; at < text.size() && text[at] >= '0' && text[at] <= '9' && value < 1000000; ++at) {
    value = value * 10 + (text[at] - '0');
  }
  return static_cast<int>(is_negative ? -value : value);
}

// av_url_split's authority: "[user[:password]@]host[:port]", the host maybe "[IPv6]".
void split_authority(std::string_view authority, RtmpUrl& out) {
  size_t at = authority.rfind('@');
  if (at != npos) {
    out.credentials = authority.substr(0, at);
    authority.remove_prefix(at + 1);
  }
  size_t bracket = authority.find(']');
  if (!authority.empty() && authority[0] == '[' && bracket != npos) {
    out.host = authority.substr(1, bracket - 1);
    if (bracket + 1 < authority.size() && authority[bracket + 1] == ':') {
      out.port = leading_number(authority.substr(bracket + 2));
    }
    return;
  }
  size_t colon = authority.find(':');
  out.host = authority.substr(0, colon);
  if (colon != npos) out.port = leading_number(authority.substr(colon + 1));
}

struct AppAndName {
  std::string app;
  std::optional<std::string> name;  // none: the URL names no stream at all
};

// rtmp_open's split: the app is the first path segment, or the first two when a third follows
// (an application instance), unless the second holds a ':' before the next '/' ("mp4:file").
AppAndName split_path(const std::string& path) {
  size_t question = path.find('?');
  if (question != npos && path.find("slist=", question) != npos) {
    // After "slist=" comes the play path (up to an '&'); the whole path is the app.
    size_t from = path.find("slist=") + 6;
    size_t ampersand = path.find('&', from);
    return {path.substr(1), path.substr(from, ampersand == npos ? npos : ampersand - from)};
  }
  if (path.rfind("/ondemand/", 0) == 0) return {"ondemand", path.substr(10)};
  size_t next = path.empty() ? 0 : 1;
  size_t first = path.find('/', next);
  if (first == npos) return {path.substr(next), std::nullopt};
  size_t colon = path.find(':', first + 1);
  size_t second = path.find('/', first + 1);
  if (second == npos || (colon != npos && colon < second)) {
    return {path.substr(1, first - 1), path.substr(first + 1)};
  }
  return {path.substr(1, second - 1), path.substr(second + 1)};
}

// What rtmp_open makes of the name: MP4 files get the "mp4:" prefix, FLV files lose ".flv".
std::string play_path(const std::optional<std::string>& name) {
  if (!name) return "";
  const std::string& text = *name;
  auto ends_with = [&](std::string_view suffix) {
    return text.size() >= 4 && text.compare(text.size() - 4, 4, suffix) == 0;
  };
  if (text.find(':') == npos && (ends_with(".f4v") || ends_with(".mp4"))) return "mp4:" + text;
  if (ends_with(".flv")) return text.substr(0, text.size() - 4);
  return text;
}

}  // namespace

RtmpUrl parse_rtmp_url(std::string_view url) {
  RtmpUrl out;
  size_t colon = url.find(':');
  if (colon == npos) return out;
  out.scheme = url.substr(0, colon);
  std::string_view rest = url.substr(colon + 1);
  for (int i = 0; i < 2 && !rest.empty() && rest[0] == '/'; ++i) rest.remove_prefix(1);
  size_t path_start = rest.find_first_of("/?#");
  split_authority(rest.substr(0, path_start), out);
  if (path_start != npos) out.path = rest.substr(path_start);
  AppAndName split = split_path(out.path);
  out.app = std::move(split.app);
  out.stream = play_path(split.name);
  // As ff_url_join writes it: an IPv6 literal in brackets, the port only when the URL has one.
  bool is_ipv6 = out.host.find(':') != std::string::npos;
  out.tc_url = out.scheme + "://" + (is_ipv6 ? "[" + out.host + "]" : out.host) +
               (out.port >= 0 ? ":" + std::to_string(out.port) : "") + "/" + out.app;
  return out;
}

}  // namespace streamrelay::media::rtmp
