#pragma once

#include <string>
#include <vector>

namespace streamrelay::test_support {

// What an FLV recording (a server's HTTP-FLV read back) carries, with its tracks taken out into
// files FFmpeg's own demuxers and decoders read: H.264 and HEVC as Annex B, AV1 and VP9 in IVF,
// AAC as ADTS. FFmpeg 5.1 reads no enhanced RTMP tags (nor the older HEVC/AV1 ids), so the tags
// are taken apart here and the pictures checked by FFmpeg's decoders.
struct FlvTracks {
  std::string error;                      // set when the file is no FLV, or cut inside a tag
  std::vector<std::string> video_codecs;  // of each video sequence header, in order
  int video_frames = 0;                   // coded video frames written out
  int reordered_frames = 0;               // of them, with a composition time (B-frames)
  int audio_frames = 0;                   // raw AAC frames written out
  int video_dts_backwards = 0;            // frames dated before the one before them
  int audio_dts_backwards = 0;
  double largest_video_gap_ms = 0;  // between consecutive frames of the track
  double largest_audio_gap_ms = 0;
  double video_span_ms = 0;  // from the first frame to the last
};

// Reads `flv_path` and writes the video of each codec it met to `video_prefix` + ".hevc",
// ".h264", ".av1.ivf" or ".vp9.ivf" and the audio to `audio_path` (ADTS). Frames before the
// first sequence header of their track are left out (and not counted).
FlvTracks split_flv(const std::string& flv_path, const std::string& video_prefix,
                    const std::string& audio_path);

// The file `split_flv` wrote for a video codec ("hevc", "h264", "av1", "vp9").
std::string video_track_file(const std::string& video_prefix, const std::string& codec);

// Decodes every frame of a file with the named FFmpeg decoder ("hevc", "libdav1d", "vp9",
// "h264", "aac"): how many frames came out, and what FFmpeg said was wrong (empty when nothing).
struct Decoded {
  int frames = 0;
  std::string errors;
};
Decoded decode_every_frame(const std::string& path, const std::string& decoder,
                           const std::string& log_prefix);

// Records `seconds` of a URL's bytes (HTTP-FLV) into `path`, with curl.
void record_http(const std::string& url, int seconds, const std::string& path);

}  // namespace streamrelay::test_support
