#include "media/rtmp/session/client_session.h"

#include <algorithm>
#include <cerrno>

#include "media/big_endian.h"

namespace streamrelay::media::rtmp {
namespace {

// User Control events (section 7.1.7).
constexpr uint32_t kStreamEof = 1;
constexpr uint32_t kPingRequest = 6;
constexpr uint32_t kPingResponse = 7;
// Chunk streams as libavformat's client uses them: control, commands, commands on a stream.
constexpr uint32_t kControlChunkStream = 2;
constexpr uint32_t kCommandChunkStream = 3;
constexpr uint32_t kStreamCommandChunkStream = 8;

}  // namespace

std::vector<uint8_t> ClientSession::hello(std::span<const uint8_t> random) const {
  std::vector<uint8_t> c0c1(1 + kHandshakeSize, 0);
  c0c1[0] = 3;
  // Time and zero (bytes 1 to 8), then random bytes: the simple handshake.
  std::copy_n(random.begin(), std::min(random.size(), kHandshakeSize - 8), c0c1.begin() + 9);
  return c0c1;
}

std::vector<uint8_t> ClientSession::on_server_hello(std::span<const uint8_t> s0s1s2) {
  if (state_ != State::kHandshaking || s0s1s2.size() < 1 + 2 * kHandshakeSize || s0s1s2[0] != 3) {
    return {};
  }
  std::vector<uint8_t> c2(s0s1s2.begin() + 1, s0s1s2.begin() + 1 + kHandshakeSize);
  if (role_ == Role::kPublisher) {
    std::vector<uint8_t> size;
    put_be(size, kPublishChunkSize, 4);
    queue(kControlChunkStream, kSetChunkSize, 0, std::move(size));
  }
  queue_command(0, connect_command(url_, role_ == Role::kPublisher));
  state_ = State::kConnecting;
  return c2;
}

void ClientSession::on_message(const Message& message, uint64_t bytes_received) {
  acknowledge(bytes_received);
  switch (message.type) {
    case kCommandAmf0:
      on_command(message);
      break;
    case kWindowAckSize:
    case kSetPeerBandwidth:
    case kUserControl:
      on_control(message);
      break;
    default:  // media and data are the transport's; Set Chunk Size and Abort the chunk reader's
      break;
  }
}

void ClientSession::on_control(const Message& message) {
  const std::vector<uint8_t>& p = message.payload;
  switch (message.type) {
    case kWindowAckSize:
      // Honoured however small: a server may send nothing more until acknowledged, and each
      // acknowledgement follows a whole message, so a tiny window costs one per message at most.
      if (p.size() >= 4) ack_window_ = std::max<uint32_t>(read_be(p.data(), 4), 1);
      break;
    case kSetPeerBandwidth: {
      std::vector<uint8_t> size;
      put_be(size, ack_window_, 4);
      queue(kControlChunkStream, kWindowAckSize, 0, std::move(size));
      break;
    }
    case kUserControl:
      if (p.size() >= 6 && read_be(p.data(), 2) == kPingRequest) {
        std::vector<uint8_t> pong;
        put_be(pong, kPingResponse, 2);
        pong.insert(pong.end(), p.begin() + 2, p.begin() + 6);
        queue(kControlChunkStream, kUserControl, 0, std::move(pong));
      } else if (p.size() >= 2 && read_be(p.data(), 2) == kStreamEof && state_ == State::kPlaying) {
        state_ = State::kEnded;
      }
      break;
    default:
      break;
  }
}

void ClientSession::on_command(const Message& message) {
  ServerCommand answer = parse_server_command(message.payload);
  bool is_own_refusal = answer.name == "_error" && answer.transaction == kPublishOrPlayTransaction;
  switch (state_) {
    case State::kConnecting:
    case State::kCreatingStream: {
      bool is_connecting = state_ == State::kConnecting;
      const char* what = is_connecting ? "refused connect" : "refused createStream";
      if (answer.is_error_status()) return refuse(ECONNREFUSED, what, answer);
      // Replies to the optional commands (releaseStream, FCPublish) do not matter, _error or not.
      int awaited = is_connecting ? kConnectTransaction : kCreateStreamTransaction;
      if (!answer.is_reply() || answer.transaction != awaited) return;
      if (answer.name == "_error") return refuse(ECONNREFUSED, what, answer);
      if (is_connecting) {
        server_fourcc_list_ = answer.fourcc_list;
        if (role_ == Role::kPublisher) {
          // Optional: ingests that do not know them answer _error, passed over above.
          queue_command(
              0, stream_name_command("releaseStream", kReleaseStreamTransaction, url_.stream));
          queue_command(0, stream_name_command("FCPublish", kFcPublishTransaction, url_.stream));
        }
        queue_command(0, create_stream_command());
        state_ = State::kCreatingStream;
        return;
      }
      stream_id_ = static_cast<uint32_t>(answer.number);
      if (role_ == Role::kPublisher) {
        queue_command(stream_id_, publish_command(url_.stream));
        state_ = State::kStartingPublish;
      } else {
        queue_command(stream_id_, play_command(url_.stream));
        state_ = State::kPlaying;
      }
      return;
    }
    case State::kStartingPublish:
      // The server says whether it takes the stream (a name already published is refused).
      if (answer.is_error_status() || is_own_refusal) {
        return refuse(EACCES, "refused publish", answer);
      }
      if (answer.name == "onStatus" && answer.code == "NetStream.Publish.Start") {
        state_ = State::kPublishing;
      }
      return;
    case State::kPlaying:
      if (answer.is_error_status() || is_own_refusal) return refuse(ENOENT, "refused play", answer);
      if (answer.name == "onStatus" && (answer.code == "NetStream.Play.Stop" ||
                                        answer.code == "NetStream.Play.UnpublishNotify")) {
        state_ = State::kEnded;
      }
      return;
    case State::kPublishing:
      if (answer.is_error_status()) return refuse(EACCES, "ended the stream", answer);
      return;
    case State::kHandshaking:
    case State::kEnded:
    case State::kRefused:
      return;
  }
}

void ClientSession::unpublish() {
  if (state_ != State::kPublishing) return;
  queue_command(0, stream_name_command("FCUnpublish", kFcUnpublishTransaction, url_.stream));
  queue_command(0, delete_stream_command(stream_id_));
  state_ = State::kEnded;
}

bool ClientSession::is_open() const {
  return state_ == State::kPlaying || state_ == State::kPublishing || state_ == State::kEnded;
}

void ClientSession::refuse(int error, const char* what, const ServerCommand& answer) {
  std::string text = answer.status_text();
  refusal_ = {error, "server " + std::string(what) + (text.empty() ? "" : " (" + text + ")")};
  state_ = State::kRefused;
}

void ClientSession::queue(uint32_t chunk_stream_id, uint8_t type, uint32_t stream_id,
                          std::vector<uint8_t> payload) {
  outgoing_.push_back({chunk_stream_id, type, stream_id, std::move(payload)});
}

void ClientSession::queue_command(uint32_t stream_id, std::vector<uint8_t> command) {
  // Commands on a message stream go on their own chunk stream, as libavformat sends them.
  queue(stream_id == 0 ? kCommandChunkStream : kStreamCommandChunkStream, kCommandAmf0, stream_id,
        std::move(command));
}

void ClientSession::acknowledge(uint64_t bytes_received) {
  if (bytes_received - bytes_acknowledged_ < ack_window_ / 2) return;
  bytes_acknowledged_ = bytes_received;
  std::vector<uint8_t> ack;
  put_be(ack, static_cast<uint32_t>(bytes_received), 4);
  queue(kControlChunkStream, kAcknowledgement, 0, std::move(ack));
}

}  // namespace streamrelay::media::rtmp
