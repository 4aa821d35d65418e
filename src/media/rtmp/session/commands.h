#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "media/rtmp/rtmp_url.h"

namespace streamrelay::media::rtmp {

// Transaction ids of the client's commands, so each reply is matched to the command it answers.
inline constexpr int kConnectTransaction = 1;
// The enhanced RTMP codecs connect announces (the video FourCCs our tag reader and writer carry).
inline constexpr std::array<const char*, 3> kFourCcList = {"hvc1", "av01", "vp09"};
inline constexpr int kReleaseStreamTransaction = 2;
inline constexpr int kFcPublishTransaction = 3;
inline constexpr int kCreateStreamTransaction = 4;
inline constexpr int kPublishOrPlayTransaction = 5;
inline constexpr int kFcUnpublishTransaction = 6;
inline constexpr int kDeleteStreamTransaction = 7;

// An AMF0 command from the server: a reply (_result, _error) or a status (onStatus).
struct ServerCommand {
  std::string name;
  double transaction = 0;
  // The information object (the fourth value), when there is one.
  std::string level;  // "status", "warning" or "error"
  std::string code;   // "NetStream.Publish.BadName", ...
  std::string description;
  // createStream's _result: the message stream id, a number in the fourth place.
  double number = 0;
  // connect's _result from an enhanced RTMP server: the codecs (FourCC) it takes, "*" for any.
  std::optional<std::vector<std::string>> fourcc_list;

  bool is_reply() const { return name == "_result" || name == "_error"; }
  bool is_error_status() const { return name == "onStatus" && level == "error"; }
  // "code: description", or whichever of them the server gave.
  std::string status_text() const;
};

// Anything malformed reads as empty values, never past the payload.
ServerCommand parse_server_command(const std::vector<uint8_t>& payload);

// The commands a client sends, as libavformat's client sends them.
std::vector<uint8_t> connect_command(const RtmpUrl& url, bool is_publisher);
// releaseStream, FCPublish and FCUnpublish: a name, a transaction, null, the stream name.
std::vector<uint8_t> stream_name_command(const char* name, double transaction,
                                         const std::string& stream);
std::vector<uint8_t> create_stream_command();
std::vector<uint8_t> publish_command(const std::string& stream);
std::vector<uint8_t> play_command(const std::string& stream);
std::vector<uint8_t> delete_stream_command(uint32_t stream_id);

}  // namespace streamrelay::media::rtmp
