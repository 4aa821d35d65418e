#include "media/sources/av/hls_cadence.h"

#include <vector>

namespace streamrelay::media {
namespace {

// A playlist is text of a few kilobytes; a live one with hours of segments stays far below
// this. More is not read (the target duration comes before the segments anyway).
constexpr size_t kMaxPlaylistBytes = 1024 * 1024;

std::optional<std::string> fetch_text(AVFormatContext& input, const std::string& url) {
  AVIOContext* io = nullptr;
  AvOptions options;
  if (input.io_open(&input, &io, url.c_str(), AVIO_FLAG_READ, options.ptr()) < 0) {
    return std::nullopt;
  }
  std::string text;
  std::vector<unsigned char> chunk(16 * 1024);
  while (text.size() < kMaxPlaylistBytes) {
    int read = avio_read(io, chunk.data(), static_cast<int>(chunk.size()));
    if (read <= 0) break;
    text.append(reinterpret_cast<const char*>(chunk.data()), static_cast<size_t>(read));
  }
  input.io_close2(&input, io);
  return text;
}

}  // namespace

std::optional<HlsPlaylistFacts> fetch_hls_playlist(AVFormatContext& input, const std::string& url) {
  auto text = fetch_text(input, url);
  if (!text) return std::nullopt;
  HlsPlaylistFacts facts = read_hls_playlist(*text);
  if (facts.target_duration_ms || facts.first_variant_uri.empty()) return facts;
  text = fetch_text(input, resolve_hls_uri(url, facts.first_variant_uri));
  if (!text) return std::nullopt;
  return read_hls_playlist(*text);
}

}  // namespace streamrelay::media
