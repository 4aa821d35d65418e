#include "support/scripted_rtmp_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <span>
#include <stdexcept>

#include "media/rtmp/codec/amf0.h"
#include "support/process.h"
#include "support/rtmp_peer_connection.h"

namespace streamrelay::test_support {
namespace {

namespace amf0 = media::amf0;
using namespace media::rtmp;
using Clock = std::chrono::steady_clock;

constexpr uint32_t kServerWindow = 2500000;
constexpr uint32_t kMediaStreamId = 1;  // what createStream answers

// One FLV tag: `whole` spans header, data and back pointer, as an aggregate carries it.
struct FlvTag {
  uint8_t type = 0;
  uint32_t timestamp = 0;
  std::span<const uint8_t> data;
  std::span<const uint8_t> whole;
};

bool is_media(const FlvTag& tag) {
  return tag.type == kAudio || tag.type == kVideo;
}

std::vector<FlvTag> read_tags(const std::vector<uint8_t>& flv) {
  std::vector<FlvTag> tags;
  size_t at = 13;  // file header and the first back pointer
  while (at + 11 <= flv.size()) {
    const uint8_t* p = flv.data() + at;
    uint32_t size = (p[1] << 16) | (p[2] << 8) | p[3];
    if (at + 11 + size + 4 > flv.size()) break;
    uint32_t timestamp = (p[4] << 16) | (p[5] << 8) | p[6] | (static_cast<uint32_t>(p[7]) << 24);
    tags.push_back({p[0], timestamp, {p + 11, size}, {p, 11 + size + 4}});
    at += 11 + size + 4;
  }
  return tags;
}

std::vector<uint8_t> info_object(const std::string& name, double transaction,
                                 const std::string& level, const PeerStatus& status) {
  amf0::Writer command;
  command.string(name);
  command.number(transaction);
  command.null();
  command.begin_object();
  command.property("level", level);
  command.property("code", status.code);
  command.property("description", status.description);
  command.end_object();
  return command.bytes();
}

// One client connection, played by the script.
class PeerSession {
 public:
  PeerSession(int fd, ScriptedRtmpPeer::Shared& shared)
      : fd_(fd), shared_(shared), script_(shared.script), connection_(fd, shared.is_stopping) {}

  void run() {
    if (!connection_.handshake()) return;
    Message message;
    while (connection_.read_message(message)) {
      if (message.type == kCommandAmf0 && !on_command(message)) break;
      if ((message.type == kAudio || message.type == kVideo) && !on_media()) break;
      bool is_fourcc =
          message.type == kVideo && !message.payload.empty() && (message.payload[0] & 0x80) != 0;
      if (is_fourcc && script_.closes_on_fourcc) break;
    }
    shutdown(fd_, SHUT_RDWR);
  }

 private:
  bool send(uint32_t csid, uint8_t type, uint32_t stream_id, uint32_t timestamp,
            std::span<const uint8_t> payload) {
    return connection_.send(csid, type, stream_id, timestamp, payload);
  }

  bool send_command(uint32_t stream_id, const std::vector<uint8_t>& command) {
    return send(stream_id == 0 ? 3 : 5, kCommandAmf0, stream_id, 0, command);
  }

  void note_session() {
    std::lock_guard lock(shared_.mutex);
    ++shared_.record.sessions;
  }

  bool on_command(const Message& message) {
    amf0::Reader reader(message.payload);
    std::string name = reader.string();
    double transaction = reader.number();
    auto refusal = script_.refusals.find(name);
    bool is_refused = refusal != script_.refusals.end();
    if (name == "connect" || name == "releaseStream" || name == "FCPublish" ||
        name == "createStream") {
      if (is_refused)
        return send_command(0, info_object("_error", transaction, "error", refusal->second));
      return name == "connect" ? accept_connect(transaction) : answer(name, transaction);
    }
    if (name == "publish" || name == "play") {
      if (is_refused) return send_status("error", refusal->second);
      note_session();
      if (name == "play") return play();
      return send_status("status", {"NetStream.Publish.Start", "Start publishing"});
    }
    return true;
  }

  bool accept_connect(double transaction) {
    std::vector<uint8_t> bandwidth = be32(kServerWindow);
    bandwidth.push_back(2);  // dynamic
    if (!send(2, kWindowAckSize, 0, 0,
              be32(script_.ack_window ? script_.ack_window : kServerWindow)) ||
        !send(2, kSetPeerBandwidth, 0, 0, bandwidth)) {
      return false;
    }
    amf0::Writer result;
    result.string("_result");
    result.number(transaction);
    result.begin_object();
    result.property("fmsVer", "FMS/3,0,1,123");
    result.property("capabilities", 31.0);
    if (script_.fourcc_list) result.property("fourCcList", *script_.fourcc_list);
    result.end_object();
    result.begin_object();
    result.property("level", "status");
    result.property("code", "NetConnection.Connect.Success");
    result.property("description", "Connection succeeded.");
    result.end_object();
    return send_command(0, result.bytes());
  }

  bool answer(const std::string& name, double transaction) {
    amf0::Writer result;
    result.string("_result");
    result.number(transaction);
    result.null();
    if (name == "createStream") result.number(kMediaStreamId);
    return send_command(0, result.bytes());
  }

  bool send_status(const std::string& level, const PeerStatus& status) {
    return send_command(kMediaStreamId, info_object("onStatus", 0, level, status));
  }

  bool on_media() {
    {
      std::lock_guard lock(shared_.mutex);
      ++shared_.record.media_messages;
    }
    ++media_;
    if (media_ == script_.fails_publishing_after) {
      send_status("error", script_.publishing_failure);
      close_after_status();
      return false;
    }
    if (media_ == script_.stops_reading_after) {
      stop_reading();
      return false;
    }
    return true;
  }

  // Reads nothing more; the kernel queues what comes until the receive window closes, which is
  // when the client's bytes stop moving: noted as the last time the queue grew.
  void stop_reading() {
    std::unique_lock lock(shared_.mutex);
    bool is_first = !shared_.record.stopped_reading_at;
    if (is_first) shared_.record.stopped_reading_at = Clock::now();
    lock.unlock();
    int queued = 0;
    while (!shared_.is_stopping) {
      int now_queued = 0;
      if (is_first && ioctl(fd_, FIONREAD, &now_queued) == 0 && now_queued > queued) {
        queued = now_queued;
        std::lock_guard guard(shared_.mutex);
        shared_.record.last_took_bytes_at = Clock::now();
      }
      sleep_for(std::chrono::milliseconds(10));
    }
  }

  // As a server ends a session: the status goes first, then the end of its side; what the
  // client still sends is read and dropped until it closes too.
  void close_after_status() {
    shutdown(fd_, SHUT_WR);
    auto until = Clock::now() + std::chrono::seconds(3);
    while (Clock::now() < until && connection_.pump(50)) continue;
  }

  bool play() {
    std::vector<uint8_t> stream_begin = {0, 0};
    for (uint8_t byte : be32(kMediaStreamId)) stream_begin.push_back(byte);
    if (!send(2, kUserControl, 0, 0, stream_begin) ||
        !send_status("status", {"NetStream.Play.Reset", "Playing and resetting"}) ||
        !send_status("status", {"NetStream.Play.Start", "Started playing"})) {
      return false;
    }
    std::vector<FlvTag> tags = read_tags(shared_.flv);
    auto started = Clock::now();
    int messages = 0;
    for (size_t i = 0; i < tags.size(); ++messages) {
      size_t count = tags_in_next_message(tags, i);
      auto due = started + std::chrono::milliseconds(tags[i + count - 1].timestamp);
      if (!wait_until(due) || !wait_for_acknowledgement() || !change_chunk_size(messages) ||
          !send_tags({tags.data() + i, count})) {
        return false;
      }
      i += count;
    }
    return true;
  }

  size_t tags_in_next_message(const std::vector<FlvTag>& tags, size_t first) const {
    size_t count = 1;
    if (script_.tags_per_aggregate < 2 || !is_media(tags[first])) return count;
    while (first + count < tags.size() && count < static_cast<size_t>(script_.tags_per_aggregate) &&
           is_media(tags[first + count])) {
      ++count;
    }
    return count;
  }

  bool wait_until(Clock::time_point due) {
    while (Clock::now() < due) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(due - Clock::now());
      if (!pump(static_cast<int>(std::clamp<int64_t>(left.count(), 1, 20)))) return false;
    }
    return true;
  }

  bool wait_for_acknowledgement() {
    while (script_.ack_window > 0 && connection_.unacknowledged() >= script_.ack_window) {
      if (!pump(50)) return false;
    }
    return true;
  }

  // Reads for a while, noting the acknowledgements that came.
  bool pump(int timeout_ms) {
    int before = connection_.acknowledgements();
    bool is_open = connection_.pump(timeout_ms);
    std::lock_guard lock(shared_.mutex);
    shared_.record.acknowledgements += connection_.acknowledgements() - before;
    return is_open;
  }

  bool change_chunk_size(int messages) {
    const std::vector<uint32_t>& sizes = script_.chunk_sizes;
    if (sizes.empty() || messages % script_.messages_per_chunk_size != 0) return true;
    size_t turn = static_cast<size_t>(messages / script_.messages_per_chunk_size);
    return connection_.set_chunk_size(sizes[turn % sizes.size()]);
  }

  bool send_tags(std::span<const FlvTag> tags) {
    const FlvTag& first = tags.front();
    if (tags.size() == 1 && (script_.tags_per_aggregate < 2 || !is_media(first))) {
      uint32_t csid = first.type == kAudio ? 4 : first.type == kVideo ? 6 : 5;
      uint32_t timestamp = first.timestamp + (is_media(first) ? script_.timestamp_offset : 0);
      return send(csid, first.type, script_.media_stream_id, timestamp, first.data);
    }
    std::vector<uint8_t> aggregate;
    for (const FlvTag& tag : tags) {
      aggregate.insert(aggregate.end(), tag.whole.begin(), tag.whole.end());
    }
    return send(6, kAggregate, script_.media_stream_id, first.timestamp, aggregate);
  }

  int fd_;
  ScriptedRtmpPeer::Shared& shared_;
  const PeerScript& script_;
  RtmpPeerConnection connection_;
  int media_ = 0;
};

}  // namespace

ScriptedRtmpPeer::ScriptedRtmpPeer(PeerScript script)
    : shared_(std::make_shared<Shared>(std::move(script))), port_(free_port()) {
  if (!shared_->script.flv_path.empty()) {
    std::string bytes = read_file(shared_->script.flv_path);
    if (bytes.empty()) throw std::runtime_error("no FLV file at " + shared_->script.flv_path);
    shared_->flv.assign(bytes.begin(), bytes.end());
  }
  listener_ = listen_on_loopback(port_);
  if (listener_ < 0) throw std::runtime_error("the scripted RTMP peer cannot listen");
  acceptor_ = std::thread([this] { accept_loop(); });
}

ScriptedRtmpPeer::~ScriptedRtmpPeer() {
  shared_->is_stopping = true;
  shutdown(listener_, SHUT_RDWR);
  acceptor_.join();
  close(listener_);
  std::lock_guard lock(sessions_mutex_);
  for (int fd : sockets_) shutdown(fd, SHUT_RDWR);
  for (std::thread& session : sessions_) session.join();
  for (int fd : sockets_) close(fd);
}

std::string ScriptedRtmpPeer::url(const std::string& app_and_stream) const {
  return "rtmp://127.0.0.1:" + std::to_string(port_) + "/" + app_and_stream;
}

ScriptedRtmpPeer::Record ScriptedRtmpPeer::record() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->record;
}

void ScriptedRtmpPeer::accept_loop() {
  for (;;) {
    int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    std::lock_guard lock(sessions_mutex_);
    if (shared_->is_stopping) {
      close(fd);
      return;
    }
    sockets_.push_back(fd);
    sessions_.emplace_back([shared = shared_, fd] { PeerSession(fd, *shared).run(); });
  }
}

}  // namespace streamrelay::test_support
