#include "media/rtmp/session/commands.h"

#include <map>

#include "media/rtmp/codec/amf0.h"

namespace streamrelay::media::rtmp {

std::string ServerCommand::status_text() const {
  if (code.empty() || description.empty()) return code + description;
  return code + ": " + description;
}

ServerCommand parse_server_command(const std::vector<uint8_t>& payload) {
  amf0::Reader reader(payload);
  ServerCommand command;
  command.name = reader.string();
  command.transaction = reader.number();
  // The command object, null in most replies; connect's may say which codecs the server takes.
  std::map<std::string, std::vector<std::string>> arrays;
  reader.object_strings(&arrays);
  std::optional<uint8_t> type = reader.next_type();
  if (type == 0x00) {
    command.number = reader.number();
  } else if (type == 0x03 || type == 0x08) {
    std::map<std::string, std::string> info = reader.object_strings(&arrays);
    command.level = info["level"];
    command.code = info["code"];
    command.description = info["description"];
  }
  if (auto found = arrays.find("fourCcList"); found != arrays.end()) {
    command.fourcc_list = found->second;
  }
  return command;
}

std::vector<uint8_t> connect_command(const RtmpUrl& url, bool is_publisher) {
  amf0::Writer connect;
  connect.string("connect");
  connect.number(kConnectTransaction);
  connect.begin_object();
  connect.property("app", url.app);
  // Enhanced RTMP: the codecs beyond the legacy ones this client sends or can play.
  connect.property("fourCcList", std::vector<std::string>(kFourCcList.begin(), kFourCcList.end()));
  if (is_publisher) {
    connect.property("type", "nonprivate");
    connect.property("flashVer", "FMLE/3.0 (compatible; streamrelay)");
    connect.property("tcUrl", url.tc_url);
  } else {
    connect.property("flashVer", "LNX 9,0,124,2");
    connect.property("tcUrl", url.tc_url);
    connect.property("fpad", false);
    connect.property("capabilities", 15.0);
    connect.property("audioCodecs", 4071.0);
    connect.property("videoCodecs", 252.0);
    connect.property("videoFunction", 1.0);
  }
  connect.end_object();
  return connect.bytes();
}

std::vector<uint8_t> stream_name_command(const char* name, double transaction,
                                         const std::string& stream) {
  amf0::Writer command;
  command.string(name);
  command.number(transaction);
  command.null();
  command.string(stream);
  return command.bytes();
}

std::vector<uint8_t> create_stream_command() {
  amf0::Writer create;
  create.string("createStream");
  create.number(kCreateStreamTransaction);
  create.null();
  return create.bytes();
}

std::vector<uint8_t> publish_command(const std::string& stream) {
  amf0::Writer publish;
  publish.string("publish");
  publish.number(kPublishOrPlayTransaction);
  publish.null();
  publish.string(stream);
  publish.string("live");
  return publish.bytes();
}

std::vector<uint8_t> play_command(const std::string& stream) {
  amf0::Writer play;
  play.string("play");
  play.number(kPublishOrPlayTransaction);
  play.null();
  play.string(stream);
  play.number(-1000);  // live only: wait for the stream rather than look for a recording
  return play.bytes();
}

std::vector<uint8_t> delete_stream_command(uint32_t stream_id) {
  amf0::Writer remove;
  remove.string("deleteStream");
  remove.number(kDeleteStreamTransaction);
  remove.null();
  remove.number(stream_id);
  return remove.bytes();
}

}  // namespace streamrelay::media::rtmp
